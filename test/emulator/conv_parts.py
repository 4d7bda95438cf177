"""The parts of one conversation (messages, insights, analytics, ...), generated
on demand, deterministically from the dataset seed and the conversation id.

Generation makes a *skeleton*: the answers' JSON with every reference to a
member left as a MemberRef (the member's position in the conversation).  A
skeleton never changes; rendering resolves the references against the members
as they are now, so that a member renamed through PUT .../members/{id} shows
its new name in messages and insights without regenerating anything.

Python 3 standard library only.
"""

import collections
import datetime
import hashlib
import random
import re
import threading

PART_KINDS = ("messages", "members", "topics", "questions", "action-items",
              "follow-ups", "analytics", "trackers-detected", "summary", "entities")

# the object key each part's array is served under (None: a bare array)
PART_KEYS = {"messages": "messages", "members": "members", "topics": "topics",
             "questions": "questions", "action-items": "actionItems",
             "follow-ups": "followUps", "trackers-detected": None,
             "summary": "summary"}

# boolean query parameters each part accepts (any other parameter is a 400);
# customTopicVocabulary is a free string; refresh is accepted where the
# contract documents it, but it is never a read (logged as a violation)
PART_PARAMS = {
    "conversation": {},
    "messages": {"verbose": "bool", "sentiment": "bool"},
    "members": {},
    "topics": {"sentiment": "bool", "parentRefs": "bool",
               "customTopicVocabulary": "str", "refresh": "bool"},
    "questions": {},
    "action-items": {},
    "follow-ups": {},
    "analytics": {},
    "trackers-detected": {},
    "summary": {"refresh": "bool"},
    "entities": {},
}

MS_PER_MIN = 60_000

# The trackers are published under two paths (the 2022 pages document
# /trackers-detected and call /trackers deprecated; later pages and the SDKs
# use /trackers): both serve the same skeleton, kind "trackers-detected".
TRACKER_PATHS = ("trackers", "trackers-detected")
# which of them exist (the reading trackers_path; the others answer 404)
TRACKERS_PATH_CHOICES = ("trackers-detected", "trackers", "both")
# how the trackers are served: a bare array, {"trackers": [...]}, or one
# object (the first tracker; {} when there is none)
TRACKERS_SHAPE_CHOICES = ("array", "wrapped", "object")


def part_kind(path):
    """The part a path segment names (both tracker paths: one kind), or None."""
    if path in TRACKER_PATHS:
        return "trackers-detected"
    return path if path in PART_KINDS else None


class MemberRef:
    """A member of the conversation, by position, as one kind of reference:
    'msg' {id,name,email?,userId?}, 'ins' {id,name,userId?},
    'assignee' {name,email?}, 'assignee_id' {id,name,email?},
    'analytics' {id,name,userId?} (+ extra)."""
    __slots__ = ("pos", "kind", "extra")

    def __init__(self, pos, kind, extra=None):
        self.pos = pos
        self.kind = kind
        self.extra = extra


def render_member(m, kind):
    """m: a member as stored {id,name,email?,userId?} -> the reference object."""
    out = {}
    if kind != "assignee":
        out["id"] = m["id"]
    if "name" in m:
        out["name"] = m["name"]
    if kind in ("msg", "assignee", "assignee_id") and m.get("email") is not None:
        out["email"] = m["email"]
    if kind not in ("assignee", "assignee_id") and m.get("userId") is not None:
        out["userId"] = m["userId"]
    return out


def render(obj, members):
    """Resolve every MemberRef in a skeleton against the current members."""
    if isinstance(obj, MemberRef):
        out = render_member(members[obj.pos], obj.kind)
        if obj.extra:
            out.update(render(obj.extra, members))
        return out
    if isinstance(obj, dict):
        return {k: render(v, members) for k, v in obj.items()}
    if isinstance(obj, list):
        return [render(v, members) for v in obj]
    return obj


def _seed_of(seed, *parts):
    h = hashlib.sha256(("\0".join([str(seed)] + [str(p) for p in parts])).encode("utf-8"))
    return int.from_bytes(h.digest()[:8], "big")


def derived_member_id(seed, conv_id, pos):
    """The id of a member the list row shows without one (stable, UUID-like)."""
    h = hashlib.sha256(("%s\0member\0%s\0%d" % (seed, conv_id, pos)).encode("utf-8")).hexdigest()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


def full_members(seed, conv_id, members):
    """The list row's members -> every member with an id (position order).
    None when the row has no members array (absent or null)."""
    if not isinstance(members, list):
        return None
    out = []
    for pos, m in enumerate(members):
        full = {"id": m.get("id") or derived_member_id(seed, conv_id, pos)}
        if "name" in m:
            full["name"] = m["name"]
        if m.get("email") is not None:
            full["email"] = m["email"]
            full["userId"] = m["email"]        # a stable user id: the first email
        out.append(full)
    return out


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------

_PRODUCTS = ["Symbl Streams", "Analytics Suite", "Voice SDK", "Insights API", "CRM connector"]
_COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Wonka"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "next week"]
_MONTHS = ["March", "April", "June", "September"]

_STATEMENTS = [
    "Thanks everyone for joining today.",
    "Let's start with a quick update on the {product} rollout.",
    "The {product} integration is almost done on our side.",
    "Our pricing for {company} is based on the number of seats.",
    "The new pricing tiers go live in {month}.",
    "We saw a 20% increase in usage last quarter.",
    "I think the onboarding went well for {company}.",
    "Support tickets are down since the last release.",
    "{company} is comparing us with two competitors.",
    "The contract renewal with {company} is due in {month}.",
    "Let me share my screen.",
    "That sounds good to me.",
]
_QUESTIONS = [
    "Can you walk us through the pricing for the enterprise plan?",
    "What is the timeline for the {product} launch?",
    "Do we have budget approval from {company}?",
    "Who owns the follow-up with legal?",
    "Is the discount still valid for {company}?",
    "How many seats does {company} need?",
]
# (message text, action text); {other} is the assignee's name
_ACTIONS = [
    ("I will send the updated pricing proposal to {company} by {day}.",
     "Send the updated pricing proposal to {company}"),
    ("{other} will schedule a demo of {product} for {company}.",
     "Schedule a demo of {product} for {company}"),
    ("I'll share the meeting notes with everyone after the call.",
     "Share the meeting notes with everyone"),
    ("{other} needs to review the contract draft before {day}.",
     "Review the contract draft"),
    ("We will set up the {product} sandbox for {company} this week.",
     "Set up the {product} sandbox for {company}"),
]
_FOLLOWUPS = [
    ("Let's reconnect on {day} to finalize the pricing.",
     "Reconnect to finalize the pricing"),
    ("We should follow up with {company} about the renewal.",
     "Follow up with {company} about the renewal"),
    ("I'll check back with you {day} on the integration.",
     "Check back on the integration"),
]
_TOPICS = ["contract renewal", "product roadmap", "onboarding", "integration",
           "budget", "support tickets", "competitors", "demo", "timeline"]
_PARENTS = ["sales", "customer success", "engineering", "finance"]
_TRACKERS = [("Pricing", "pricing"), ("Competitors", "competitors"),
             ("Renewal", "renewal"), ("Budget", "budget")]
_ENTITY_TYPES = {"company": ("organization", "company", "Named"),
                 "person": ("person", None, "Named"),
                 "day": ("date", "day", "Custom"),
                 "month": ("date", "month", "Custom"),
                 "product": ("product", None, None)}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template, values):
    """Format a template -> (text, [(placeholder, value, offset)])."""
    out, ents, pos = [], [], 0
    length = 0
    for m in _PLACEHOLDER.finditer(template):
        lit = template[pos:m.start()]
        out.append(lit)
        length += len(lit)
        v = values[m.group(1)]
        ents.append((m.group(1), v, length))
        out.append(v)
        length += len(v)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), ents


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

def _plain_time(ms):
    """Milliseconds -> "YYYY-MM-DD HH:MM:SS", no zone (range entities)."""
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S")


def _num(ms):
    """Milliseconds -> seconds as a JSON number: an integer when whole."""
    return ms // 1000 if ms % 1000 == 0 else ms / 1000


class Gen:
    def __init__(self, seed, conv_id, start_ms, end_ms, members, fmt_ms):
        self.rng = random.Random(_seed_of(seed, "parts", conv_id))
        # the fields added later (assignee.id, summary times, range
        # entities, entity ids, message PII) draw from their own generator,
        # so that everything generated before them stays byte for byte
        self.xrng = random.Random(_seed_of(seed, "parts-published", conv_id))
        self.conv_id = conv_id
        self.start = start_ms
        # a conversation in progress: its messages so far (30 minutes)
        self.end = end_ms if end_ms is not None else start_ms + 30 * MS_PER_MIN
        self.members = members or []
        self.fmt = fmt_ms
        self.used_ids = set()

    def new_id(self, rng=None):
        while True:
            v = str((rng or self.rng).randrange(10 ** 15, 10 ** 16))
            if v not in self.used_ids:
                self.used_ids.add(v)
                return v

    def maybe_drop(self, obj, keys, p=0.06):
        """Read strictly: now and then an optional field is absent or null."""
        r = self.rng
        for k in keys:
            if k in obj and r.random() < p:
                if r.random() < 0.5:
                    del obj[k]
                else:
                    obj[k] = None
        return obj

    def speaker(self):
        return self.rng.randrange(len(self.members)) if self.members else None

    def ref(self, pos, kind, extra=None):
        return {} if pos is None else MemberRef(pos, kind, extra)

    def generate(self):
        r = self.rng
        profile = r.random()
        has_messages = profile >= 0.05            # 5%: nothing processed yet
        has_insights = has_messages and profile >= 0.13   # 8% more: no insights
        nmsg = 0
        if has_messages:
            span_min = max(1, (self.end - self.start) // MS_PER_MIN)
            nmsg = min(3 + r.randrange(22), max(3, span_min))
        kinds = []
        for k in range(nmsg):
            x = r.random()
            kinds.append("statement" if x < 0.5 or not has_insights else
                         "question" if x < 0.7 else "action" if x < 0.88 else "followup")
        if has_insights and nmsg >= 2 and "action" not in kinds:
            kinds[1] = "action"                    # insightful ones have an action item
        messages, meta = self.messages(kinds)
        parts = {"messages": messages,
                 "_sentiment": [mt["sentiment"] for mt in meta],
                 "_words": [mt["words"] for mt in meta]}
        if has_insights:
            parts["questions"] = self.questions(messages, meta)
            parts["action-items"] = self.actions(messages, meta, "action", "action_item")
            parts["follow-ups"] = self.actions(messages, meta, "followup", "follow_up")
            parts["topics"] = self.topics(messages, meta)
        else:
            parts["questions"] = parts["action-items"] = parts["follow-ups"] = parts["topics"] = []
        parts["analytics"] = self.analytics(messages, meta)
        parts["trackers-detected"] = (self.trackers(messages, meta, parts)
                                      if has_messages and r.random() < 0.3 else [])
        ready = has_messages and r.random() >= 0.15
        parts["summary"] = self.summary(messages) if ready else None
        parts["entities_shape"] = "list" if r.random() < 0.5 else "object"
        parts["entities"] = self.entities(messages, meta, parts["entities_shape"])
        self.published_fields(parts, messages, meta)
        return parts

    def published_fields(self, parts, messages, meta):
        """The fields real answers carry beyond the 2022 examples, on some
        items only (absent on the others): assignee.id, a summary item's
        startTime/endTime, date range entities with start/end and no
        value, an entity group's id, a message's PII entities."""
        x = self.xrng
        for kind in ("action-items", "follow-ups"):
            for item in parts[kind]:
                a = item.get("assignee")
                if isinstance(a, MemberRef) and x.random() < 0.6:
                    a.kind = "assignee_id"
        by_id = {m["id"]: m for m in messages}
        for item in parts["summary"] or []:
            refs = [by_id[r["id"]] for r in item["messageRefs"]]
            if x.random() < 0.6 and refs[-1].get("endTime"):
                item["startTime"] = refs[0]["startTime"]
                item["endTime"] = refs[-1]["endTime"]
        self.range_entities(parts, messages, meta)
        if x.random() < 0.4:                      # redaction was on
            for msg, mt in zip(messages, meta):
                pii = [{"type": "PERSON_NAME", "value": v, "offset": o}
                       for p, v, o in mt["ents"] if p == "person" and v != "the team"]
                if pii:
                    msg["entities"] = pii

    def range_entities(self, parts, messages, meta):
        """A date range ("Monday from 4 to 5 pm") for some messages naming a
        day: start and end with no zone, no value; in object-shaped
        answers, some groups carry an id."""
        x = self.xrng
        ranges = []
        for msg, mt in zip(messages, meta):
            for p, v, o in mt["ents"]:
                if p == "day" and x.random() < 0.5:
                    day = self.end // 86_400_000 * 86_400_000 + (1 + x.randrange(7)) * 86_400_000
                    hour = 9 + x.randrange(8)
                    ranges.append((v, _plain_time(day + hour * 3_600_000),
                                   _plain_time(day + (hour + 1) * 3_600_000),
                                   [{"id": msg["id"], "text": msg["text"], "offset": o}]))
        ents = parts["entities"]
        if parts["entities_shape"] == "list":
            for v, start, end, refs in ranges:
                ents.append({"type": "datetime", "subType": "range", "category": "Custom",
                             "start": start, "end": end, "text": v, "messageRefs": refs})
            return
        if ranges:
            ents.append({"type": "datetime", "subType": "range", "category": "Custom",
                         "matches": [{"start": start, "end": end, "messageRefs": refs}
                                     for v, start, end, refs in ranges]})
        for g in ents:
            if x.random() < 0.7:
                g_id = self.new_id(x)
                items = list(g.items())
                g.clear()
                g["id"] = g_id
                g.update(items)

    def messages(self, kinds):
        r = self.rng
        n = len(kinds)
        span = self.end - self.start
        slot = span // max(1, n)
        out, meta = [], []
        for k, kind in enumerate(kinds):
            spk = self.speaker()
            other = self.speaker()
            values = {"product": r.choice(_PRODUCTS), "company": r.choice(_COMPANIES),
                      "day": r.choice(_DAYS), "month": r.choice(_MONTHS),
                      "other": (self.members[other].get("name") or "the team")
                      if other is not None else "the team"}
            action = None
            if kind == "question":
                tmpl = r.choice(_QUESTIONS)
            elif kind in ("action", "followup"):
                tmpl, action = r.choice(_ACTIONS if kind == "action" else _FOLLOWUPS)
                if "{other}" not in tmpl:
                    other = spk
            else:
                tmpl = r.choice(_STATEMENTS)
            text, ents = fill(tmpl, values)
            ents = [(("person" if p == "other" else p), v, o) for p, v, o in ents]
            # timing: inside the slot, whole seconds now and then, else ms
            off = k * slot + r.randrange(max(1, slot // 4))
            dur = max(1000, min(slot - (off - k * slot) - 1, 2000 + r.randrange(15000)))
            if r.random() < 0.3:
                off -= off % 1000
                dur = max(1000, dur - dur % 1000)
            mid = self.new_id()
            msg = {"id": mid, "text": text, "from": self.ref(spk, "msg"),
                   "startTime": self.fmt(self.start + off),
                   "endTime": self.fmt(self.start + off + dur),
                   "timeOffset": _num(off), "duration": _num(dur),
                   "conversationId": self.conv_id,
                   "phrases": self.phrases(text)}
            self.maybe_drop(msg, ("phrases", "endTime", "duration"), p=0.04)
            score = round(r.uniform(-1, 1), 3)
            if r.random() < 0.05:
                sent = {}
            else:
                sent = {"polarity": {"score": score},
                        "suggested": "positive" if score > 0.3 else
                                     "negative" if score < -0.3 else "neutral"}
            words = []
            toks = text.split(" ")
            wdur = max(1, dur // max(1, len(toks)))
            for j, w in enumerate(toks):
                ws = off + j * wdur
                words.append({"word": w, "startTime": self.fmt(self.start + ws),
                              "endTime": self.fmt(self.start + ws + wdur),
                              "score": round(r.uniform(0.6, 1), 2) if r.random() < 0.9 else 1,
                              "timeOffset": _num(ws), "duration": _num(wdur)})
            out.append(msg)
            meta.append({"kind": kind, "speaker": spk, "other": other, "action": action,
                         "values": values, "ents": ents, "sentiment": sent,
                         "words": words, "dur": dur})
        return out, meta

    def phrases(self, text):
        words = [w.strip(".,?") for w in text.split(" ")]
        r = self.rng
        if len(words) < 3 or r.random() < 0.2:
            return []
        i = r.randrange(len(words) - 2)
        return [{"type": r.choice(["verb_phrase", "noun_phrase"]),
                 "text": " ".join(words[i:i + 2 + r.randrange(2)])}]

    def questions(self, messages, meta):
        out = []
        for msg, mt in zip(messages, meta):
            if mt["kind"] != "question":
                continue
            q = {"id": self.new_id(), "text": msg["text"], "type": "question",
                 "score": round(self.rng.uniform(0.5, 1), 4), "messageIds": [msg["id"]],
                 "from": self.ref(mt["speaker"], "ins")}
            out.append(self.maybe_drop(q, ("score", "from")))
        return out

    def actions(self, messages, meta, kind, typ):
        r = self.rng
        out = []
        for msg, mt in zip(messages, meta):
            if mt["kind"] != kind:
                continue
            text, ents = fill(mt["action"], mt["values"])
            ents = [{"type": _ENTITY_TYPES[p][0], "text": v, "offset": o, "value": v}
                    for p, v, o in ents]
            item = {"id": self.new_id(), "text": text, "type": typ,
                    "score": round(r.uniform(0.5, 1), 4) if r.random() < 0.8 else 1,
                    "messageIds": [msg["id"]], "entities": ents,
                    "phrases": [{"type": "action_phrase", "text": text.lower()}],
                    "from": self.ref(mt["speaker"], "ins"),
                    "definitive": r.random() < 0.6,
                    "assignee": self.ref(mt["other"], "assignee")}
            if kind == "followup" and r.random() < 0.25:
                item["from"] = {}
            if kind == "followup" and r.random() < 0.25:
                item["assignee"] = {}
            if r.random() < 0.5:
                item["dueBy"] = self.fmt(self.end + (1 + r.randrange(14)) * 86_400_000)
            elif r.random() < 0.2:
                item["dueBy"] = None
            out.append(self.maybe_drop(item, ("entities", "phrases", "definitive", "score")))
        return out

    def topics(self, messages, meta):
        r = self.rng
        out = []
        pricing = [m["id"] for m in messages if "pricing" in m["text"]]
        names = (["pricing"] if pricing else []) + r.sample(_TOPICS, 1 + r.randrange(3))
        for name in names:
            ids = pricing if name == "pricing" else sorted(
                r.sample([m["id"] for m in messages], min(len(messages), 1 + r.randrange(3))))
            score = round(r.uniform(0.1, 1), 4)
            t = {"id": self.new_id(), "text": name, "type": "topic",
                 "score": score, "messageIds": ids,
                 "sentiment": {"polarity": {"score": round(r.uniform(-1, 1), 3)},
                               "suggested": r.choice(["positive", "neutral", "negative"])}
                 if r.random() < 0.9 else {},
                 "parentRefs": [{"type": "topic", "text": r.choice(_PARENTS)}]
                 if r.random() < 0.7 else []}
            out.append(self.maybe_drop(t, ("score", "messageIds")))
        return out

    def analytics(self, messages, meta):
        r = self.rng
        total = self.end - self.start
        talk_by = collections.OrderedDict()
        words_by = collections.Counter()
        talk = 0
        for mt in meta:
            talk += mt["dur"]
            if mt["speaker"] is not None:
                talk_by[mt["speaker"]] = talk_by.get(mt["speaker"], 0) + mt["dur"]
                words_by[mt["speaker"]] += len(mt["words"])
        overlap = 0 if len(talk_by) < 2 or r.random() < 0.5 else r.randrange(500, 5000)
        silence = max(0, total - talk)

        def pct(x, of):
            return round(100 * x / of, 2) if of else 0

        metrics = [{"type": "total_silence", "percent": pct(silence, total), "seconds": _num(silence)},
                   {"type": "total_talk_time", "percent": pct(talk, total), "seconds": _num(talk)},
                   {"type": "total_overlap", "percent": pct(overlap, total), "seconds": _num(overlap)}]
        members = []
        speakers = list(talk_by)
        for pos in speakers:
            t = talk_by[pos]
            others = [p for p in speakers if p != pos]
            ov = []
            if overlap and others:
                o = others[0]
                ov.append(MemberRef(o, "analytics",
                                    {"percent": pct(overlap, t), "seconds": _num(overlap)}))
            members.append(MemberRef(pos, "analytics", {
                "pace": {"wpm": round(words_by[pos] / (t / 60_000))},
                "talkTime": {"percentage": pct(t, talk), "seconds": _num(t)},
                "listenTime": {"percentage": pct(talk - t, talk), "seconds": _num(talk - t)},
                "overlap": {"overlapDuration": _num(overlap if ov else 0),
                            "overlappingMembers": ov}}))
        return {"metrics": metrics, "members": members}

    def trackers(self, messages, meta, parts):
        r = self.rng
        out = []
        for name, word in _TRACKERS:
            refs = [{"id": m["id"], "text": m["text"], "offset": m["text"].find(word)}
                    for m in messages if word in m["text"]]
            if not refs and name != "Pricing":
                continue
            irefs = [{"id": i["id"], "type": i["type"], "text": i["text"],
                      "offset": i["text"].find(word)}
                     for i in parts["action-items"] + parts["follow-ups"] if word in i["text"]]
            out.append({"id": self.new_id(), "name": name,
                        "matches": [{"type": "vocabulary", "value": word,
                                     "messageRefs": refs, "insightRefs": irefs}]
                        if refs or irefs else []})
        return out

    def summary(self, messages):
        r = self.rng
        n = 1 + r.randrange(3)
        chunks = [messages[k::n] for k in range(n)]
        out = []
        for ch in chunks:
            if not ch:
                continue
            text = " ".join(m["text"] for m in ch[:3])
            out.append({"id": self.new_id(), "text": "Summary: " + text,
                        "messageRefs": [{"id": m["id"]} for m in ch]})
        return out

    def entities(self, messages, meta, shape):
        found = collections.OrderedDict()     # (placeholder, value) -> [refs]
        for msg, mt in zip(messages, meta):
            for p, v, o in mt["ents"]:
                if p == "person" and v == "the team":
                    continue
                found.setdefault((p, v), []).append({"id": msg["id"], "text": msg["text"],
                                                     "offset": o})
        if shape == "list":
            out = []
            for (p, v), refs in found.items():
                typ, sub, cat = _ENTITY_TYPES[p]
                e = {"type": typ}
                if sub:
                    e["subType"] = sub
                if cat:
                    e["category"] = cat
                e.update({"value": v, "text": v, "messageRefs": refs})
                out.append(e)
            return out
        groups = collections.OrderedDict()
        for (p, v), refs in found.items():
            typ, sub, cat = _ENTITY_TYPES[p]
            g = groups.setdefault((typ, sub, cat), {"type": typ, "subType": sub,
                                                    "category": cat, "matches": []})
            g["matches"].append({"detectedValue": v, "messageRefs": refs})
        return list(groups.values())


# --------------------------------------------------------------------------
# Cache and answers
# --------------------------------------------------------------------------

class PartsCache:
    """Skeletons of recently asked conversations (LRU, bounded)."""

    def __init__(self, seed, fmt_ms, size=2048):
        self.seed = seed
        self.fmt = fmt_ms
        self.size = size
        self.lock = threading.Lock()
        self.cache = collections.OrderedDict()

    def skeleton(self, conv_id, start_ms, end_ms, base_members):
        with self.lock:
            sk = self.cache.get(conv_id)
            if sk is not None:
                self.cache.move_to_end(conv_id)
                return sk
        sk = Gen(self.seed, conv_id, start_ms, end_ms, base_members, self.fmt).generate()
        with self.lock:
            self.cache[conv_id] = sk
            while len(self.cache) > self.size:
                self.cache.popitem(last=False)
        return sk


def part_answer(sk, kind, members, opts, trackers_shape="array"):
    """The JSON value the API serves for a part, or None for 404 (summary
    not ready).  members: the current full members (list, possibly empty).
    opts: the parsed query parameters ({name: value}).  trackers_shape: the
    reading of that name (see TRACKERS_SHAPE_CHOICES)."""
    if kind == "members":
        return {"members": [{k: m[k] for k in ("id", "name", "email") if k in m}
                            for m in members]}
    if kind == "summary":
        if sk["summary"] is None:
            return None
        return {"summary": sk["summary"]}
    if kind == "analytics":
        return render(sk["analytics"], members)
    if kind == "entities":
        ents = sk["entities"]
        return ents if sk["entities_shape"] == "list" else {"entities": ents}
    if kind == "trackers-detected":
        trackers = sk["trackers-detected"]
        if trackers_shape == "wrapped":
            return {"trackers": trackers}
        if trackers_shape == "object":
            return trackers[0] if trackers else {}
        return trackers
    items = render(sk[kind], members)
    if kind == "messages":
        verbose = opts.get("verbose") == "true"
        sentiment = opts.get("sentiment") == "true"
        for k, m in enumerate(items):
            if sentiment:
                m["sentiment"] = sk["_sentiment"][k]
            if verbose:
                m["words"] = sk["_words"][k]
    elif kind == "topics":
        sentiment = opts.get("sentiment") == "true"
        parent = opts.get("parentRefs") == "true"
        for t in items:
            if not sentiment:
                t.pop("sentiment", None)
            if not parent:
                t.pop("parentRefs", None)
    return {PART_KEYS[kind]: items}


def part_items(kind, answer):
    """The items of a part's answer (for counts and dumps)."""
    if answer is None:
        return []
    if kind == "analytics":
        return [answer]
    if isinstance(answer, list):
        return answer
    if kind == "trackers-detected":
        if "trackers" in answer:
            return answer["trackers"]
        return [answer] if answer else []
    if kind == "entities":
        return answer["entities"]
    return answer[PART_KEYS[kind]]
