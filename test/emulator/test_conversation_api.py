#!/usr/bin/env python3
"""Tests for the emulator's one-conversation endpoints: GET by id, the parts
(messages, insights, analytics, ...), the writes (PUT metadata, PUT member,
DELETE), state isolation and the /_control/part(s) dumps.

Run from the repository root:
    python3 -m unittest discover -s test/emulator -v
"""

import collections
import http.client
import json
import os
import re
import socket
import sys
import threading
import unittest
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_emulator import Emulator, EARLY, ODD_IDS, APP_ID, APP_SECRET, TOKEN_MSG, ms, qs  # noqa: E402

NOT_FOUND = ("The conversation and/or its metadata you asked could not be found, "
             "please check the input provided")
INVALID = "The conversationId is either invalid or does not exist."
PARTS = ("messages", "members", "topics", "questions", "action-items", "follow-ups",
         "analytics", "trackers-detected", "summary", "entities")
KEYS = {"messages": "messages", "members": "members", "topics": "topics",
        "questions": "questions", "action-items": "actionItems", "follow-ups": "followUps",
        "summary": "summary"}
JSON = {"Content-Type": "application/json"}

EMU = None
TOKEN = None
DS = None           # list rows, as served
BY_ID = None


def setUpModule():
    global EMU, TOKEN, DS, BY_ID
    EMU = Emulator(n=300)
    st, tok = EMU.token()
    assert st == 200, tok
    TOKEN = tok["accessToken"]
    st, body = EMU.control("GET", "dataset?format=jsonl")
    DS = [json.loads(l) for l in body.split(b"\n") if l]
    BY_ID = {c["id"]: c for c in DS}


def tearDownModule():
    if EMU:
        EMU.close()


def cpath(cid, part="", prefix=""):
    return prefix + "/v1/conversations/" + quote(cid, safe="") + ("/" + part if part else "")


def call(method, path, body=None, headers=None, token=None, emu=None):
    h = dict(headers or {})
    tok = TOKEN if token is None else token
    if tok:
        h["Authorization"] = "Bearer " + tok
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    st, r, data = (emu or EMU).request(method, path, body=body, headers=h)
    try:
        obj = json.loads(data) if data else None
    except ValueError:
        obj = data
    return st, obj


def get(cid, part="", query="", prefix="", **kw):
    return call("GET", cpath(cid, part, prefix) + ("?" + query if query else ""), **kw)


def ok(cid, part="", query="", prefix="", **kw):
    st, obj = get(cid, part, query, prefix, **kw)
    if st != 200:
        raise AssertionError("%s/%s?%s: HTTP %d %s" % (cid, part, query, st, obj))
    return obj


def items(part, answer):
    if isinstance(answer, list):
        return answer
    if part == "entities":
        return answer["entities"]
    return answer[KEYS[part]]


def list_rows(*pairs, prefix=""):
    """Every row of a list query, paged by 100."""
    out, off = [], 0
    while True:
        st, r, body = EMU.get(qs(*pairs, ("limit", "100"), ("offset", str(off))), prefix=prefix, token=TOKEN)
        assert st == 200, body
        page = json.loads(body)["conversations"]
        out += page
        if len(page) < 100:
            return out
        off += 100


def ready_ids():
    """Conversations (from the first 150) whose summary is ready / not ready."""
    ready, not_ready = [], []
    for c in DS[:150]:
        st, obj = get(c["id"], "summary")
        (ready if st == 200 else not_ready).append(c["id"])
    return ready, not_ready


class TestOneConversation(unittest.TestCase):
    def test_object_is_the_list_row_with_member_ids(self):
        for c in DS[:60] + DS[-20:]:
            obj = ok(c["id"])
            self.assertEqual(list(obj), list(c))
            for k in c:
                if k != "members":
                    self.assertEqual(obj[k], c[k], (c["id"], k))
            if not isinstance(c.get("members"), list):
                self.assertEqual(obj.get("members", "absent"), c.get("members", "absent"))
                continue
            self.assertEqual(len(obj["members"]), len(c["members"]))
            for m, lm in zip(obj["members"], c["members"]):
                self.assertTrue(m["id"])
                if "id" in lm:
                    self.assertEqual(m["id"], lm["id"])
                self.assertEqual({k: v for k, v in m.items() if k != "id"},
                                 {k: v for k, v in lm.items() if k != "id"})
            self.assertEqual(len({m["id"] for m in obj["members"]}), len(obj["members"]))

    def test_odd_ids(self):
        for cid in ODD_IDS:
            self.assertEqual(ok(cid)["id"], cid)

    def test_unknown_id_404_everywhere(self):
        for part in ("",) + PARTS:
            st, obj = get("1234567890123456", part)
            self.assertEqual((st, obj), (404, {"message": NOT_FOUND}), part)

    def test_unknown_paths_and_methods(self):
        cid = DS[0]["id"]
        for p in (cpath(cid, "nope"), cpath(cid, "messages") + "/x", "/v1/conversations/",
                  cpath(cid) + "/", "/v1/conversations//messages", cpath(cid, "members") + "/a/b"):
            st, obj = call("GET", p)
            self.assertEqual(st, 404, p)
        for method, p, allow in (("POST", cpath(cid), "GET, PUT, DELETE"),
                                 ("PATCH", cpath(cid), "GET, PUT, DELETE"),
                                 ("PUT", cpath(cid, "messages"), "GET"),
                                 ("DELETE", cpath(cid, "summary"), "GET"),
                                 ("GET", cpath(cid, "members") + "/abc", "PUT")):
            st, r, data = EMU.request(method, p, headers={"Authorization": "Bearer " + TOKEN})
            self.assertEqual((st, r.getheader("Allow")), (405, allow), (method, p))

    def test_auth(self):
        cid = DS[0]["id"]
        self.assertEqual(get(cid, "messages", token=""), (401, {"message": TOKEN_MSG}))
        self.assertEqual(get(cid, token="nope"), (401, {"message": TOKEN_MSG}))


class TestParts(unittest.TestCase):
    def test_messages(self):
        seen_int = seen_frac = 0
        for c in DS[:120]:
            obj = ok(c["id"], "messages")
            self.assertEqual(list(obj), ["messages"])
            members = {m["id"]: m for m in (ok(c["id"]).get("members") or [])}
            s = ms(c["startTime"])
            e = ms(c["endTime"]) if c.get("endTime") else s + 30 * 60_000
            for m in obj["messages"]:
                self.assertNotIn("words", m)
                self.assertNotIn("sentiment", m)
                self.assertEqual(m["conversationId"], c["id"])
                self.assertIsInstance(m["text"], str)
                self.assertTrue(s <= ms(m["startTime"]) <= e)
                if m.get("endTime") is not None:
                    self.assertTrue(ms(m["startTime"]) < ms(m["endTime"]) <= e)
                self.assertIsInstance(m["timeOffset"], (int, float))
                self.assertEqual(round(m["timeOffset"] * 1000), ms(m["startTime"]) - s)
                if m.get("duration") is not None:
                    self.assertIsInstance(m["duration"], (int, float))
                    seen_int += isinstance(m["duration"], int)
                    seen_frac += isinstance(m["duration"], float)
                f = m["from"]
                if f:
                    mem = members[f["id"]]
                    self.assertEqual(f["name"], mem["name"])
                    self.assertEqual(f.get("email"), mem.get("email"))
                    if f.get("email"):
                        self.assertEqual(f["userId"], f["email"])
                else:
                    self.assertEqual(members, {})
        self.assertGreater(seen_int, 10)
        self.assertGreater(seen_frac, 10)

    def test_verbose_and_sentiment(self):
        cid = next(c["id"] for c in DS[60:] if ok(c["id"], "messages")["messages"])
        plain = ok(cid, "messages")["messages"]
        both = ok(cid, "messages", "verbose=true&sentiment=true")["messages"]
        self.assertEqual(ok(cid, "messages", "verbose=false&sentiment=false")["messages"], plain)
        self.assertEqual(len(both), len(plain))
        for p, b in zip(plain, both):
            self.assertEqual(list(b)[:len(p)], list(p))
            self.assertEqual(list(b)[len(p):], ["sentiment", "words"])
            self.assertEqual([w["word"] for w in b["words"]], p["text"].split(" "))
            for w in b["words"]:
                self.assertEqual(set(w), {"word", "startTime", "endTime", "score", "timeOffset", "duration"})
            if b["sentiment"]:
                self.assertIn(b["sentiment"]["suggested"], ("positive", "neutral", "negative"))
        only = ok(cid, "messages", "sentiment=true")["messages"]
        self.assertTrue(all("words" not in m and "sentiment" in m for m in only))

    def test_insights_point_to_messages_and_members(self):
        counts = {"empty_from": 0, "empty_assignee": 0, "no_due": 0, "null_due": 0,
                  "assignee_email": 0, "none": 0, "absent_or_null": 0}
        for c in DS[:150]:
            cid = c["id"]
            mids = {m["id"] for m in ok(cid, "messages")["messages"]}
            members = {m["id"]: m for m in (ok(cid).get("members") or [])}
            names = {m.get("name") for m in members.values()}
            all_items = []
            for part, typ in (("topics", "topic"), ("questions", "question"),
                              ("action-items", "action_item"), ("follow-ups", "follow_up")):
                its = items(part, ok(cid, part))
                all_items += its
                for it in its:
                    self.assertEqual(it["type"], typ)
                    for mid in it.get("messageIds") or []:
                        self.assertIn(mid, mids)
                    if it.get("score") is not None:
                        self.assertTrue(0 <= it["score"] <= 1)
                    counts["absent_or_null"] += any(it.get(k) is None for k in
                                                    ("score", "messageIds", "entities", "from"))
                    if part in ("questions", "action-items", "follow-ups") and "from" in it \
                            and it["from"] is not None:
                        if it["from"]:
                            self.assertEqual(it["from"]["name"], members[it["from"]["id"]]["name"])
                        else:
                            counts["empty_from"] += 1
                    if part in ("action-items", "follow-ups"):
                        a = it["assignee"]
                        if a:
                            self.assertIn(a["name"], names)
                            counts["assignee_email"] += "email" in a
                        else:
                            counts["empty_assignee"] += 1
                        counts["no_due"] += "dueBy" not in it
                        counts["null_due"] += "dueBy" in it and it["dueBy"] is None
            counts["none"] += not all_items
        for k, v in counts.items():
            self.assertGreater(v, 0, k)

    def test_topics_options(self):
        cid = next(c["id"] for c in DS if items("topics", ok(c["id"], "topics")))
        plain = ok(cid, "topics")["topics"]
        for t in plain:
            self.assertNotIn("sentiment", t)
            self.assertNotIn("parentRefs", t)
        full = ok(cid, "topics", "sentiment=true&parentRefs=true&customTopicVocabulary=pricing,budget")["topics"]
        self.assertEqual([t["id"] for t in full], [t["id"] for t in plain])
        for t in full:
            self.assertIn("sentiment", t)
            self.assertIsInstance(t["parentRefs"], list)

    def test_analytics_consistent_with_members(self):
        for c in DS[:80]:
            a = ok(c["id"], "analytics")
            self.assertEqual(list(a), ["metrics", "members"])
            self.assertEqual([m["type"] for m in a["metrics"]],
                             ["total_silence", "total_talk_time", "total_overlap"])
            members = {m["id"]: m for m in (ok(c["id"]).get("members") or [])}
            talk = a["metrics"][1]["seconds"]
            if not members:
                self.assertEqual(a["members"], [])
                continue
            self.assertAlmostEqual(sum(m["talkTime"]["seconds"] for m in a["members"]), talk, places=6)
            for m in a["members"]:
                self.assertEqual(m["name"], members[m["id"]]["name"])
                self.assertAlmostEqual(m["talkTime"]["seconds"] + m["listenTime"]["seconds"], talk, places=6)
                for o in m["overlap"]["overlappingMembers"]:
                    self.assertIn(o["id"], members)

    def test_trackers_summary_entities(self):
        trackers = shapes = 0
        kinds = set()
        for c in DS[:150]:
            t = ok(c["id"], "trackers-detected")
            self.assertIsInstance(t, list)
            trackers += bool(t)
            mids = {m["id"] for m in ok(c["id"], "messages")["messages"]}
            for tr in t:
                for mt in tr["matches"]:
                    for ref in mt["messageRefs"]:
                        self.assertIn(ref["id"], mids)
            e = ok(c["id"], "entities")
            kinds.add(type(e).__name__)
            if isinstance(e, dict):
                self.assertEqual(list(e), ["entities"])
                for ent in e["entities"]:
                    self.assertIn("matches", ent)
            else:
                for ent in e:
                    # a date range has start and end instead of a value
                    self.assertTrue("value" in ent or {"start", "end"} <= set(ent), ent)
                    for ref in ent["messageRefs"]:
                        self.assertIn(ref["id"], mids)
        self.assertGreater(trackers, 10)
        self.assertEqual(kinds, {"list", "dict"})
        ready, not_ready = ready_ids()
        self.assertGreater(len(ready), 50)
        self.assertGreater(len(not_ready), 5)
        st, obj = get(not_ready[0], "summary")
        self.assertEqual(st, 404)
        self.assertIn("not ready", obj["message"])
        s = ok(ready[0], "summary")
        mids = {m["id"] for m in ok(ready[0], "messages")["messages"]}
        for it in s["summary"]:
            for ref in it["messageRefs"]:
                self.assertIn(ref["id"], mids)

    def test_tracker_paths_and_shapes(self):
        """trackers_path: which of /trackers and /trackers-detected exist
        (the others 404 for every conversation); trackers_shape: a bare
        array, {"trackers": [...]}, or the first tracker alone ({} for none)."""
        cids = [c["id"] for c in DS[:40]]
        arrays = {cid: ok(cid, "trackers-detected") for cid in cids}
        self.assertTrue(any(len(a) > 1 for a in arrays.values()))
        self.assertTrue(any(len(a) == 0 for a in arrays.values()))
        self.assertEqual(get(cids[0], "trackers")[0], 404)       # the default: trackers-detected only
        EMU.control("POST", "reset?tag=trk")
        for have, paths in (("both", ("trackers", "trackers-detected")),
                            ("trackers", ("trackers",)), ("trackers-detected", ("trackers-detected",))):
            for path in ("trackers", "trackers-detected"):
                for shape in ("array", "wrapped", "object"):
                    p = "/_x/tag=trk,trackers_path=%s,trackers_shape=%s" % (have, shape)
                    for cid in cids[:12]:
                        st, obj = get(cid, path, prefix=p)
                        if path not in paths:
                            self.assertEqual(st, 404, (have, path))
                            self.assertEqual(list(obj), ["message"])
                            continue
                        self.assertEqual(st, 200, (have, path, shape))
                        want = arrays[cid]
                        if shape == "array":
                            self.assertEqual(obj, want)
                        elif shape == "wrapped":
                            self.assertEqual(obj, {"trackers": want})
                        else:
                            self.assertEqual(obj, want[0] if want else {})
        log = EMU.control("GET", "log?tag=trk")[1].decode()
        self.assertIn("/trackers -> 404", log)
        self.assertIn("/trackers-detected -> 404", log)
        self.assertIn("/trackers -> 200 items=", log)
        for bad in ("trackers_path=none", "trackers_shape=list", "trackers_path="):
            st, obj = get(cids[0], "trackers-detected", prefix="/_x/" + bad)
            self.assertEqual(st, 400, bad)

    def test_published_fields(self):
        """Fields of the later published answers, each present on some
        items and absent on others: assignee.id, a summary item's
        startTime/endTime, range entities (start/end, no value), an entity
        group's id, a message's PII entities."""
        seen = collections.Counter()
        plain = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\Z")
        iso = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
        for c in DS[:150]:
            cid = c["id"]
            members = {m["id"]: m for m in (ok(cid).get("members") or [])}
            msgs = {m["id"]: m for m in ok(cid, "messages")["messages"]}
            for part in ("action-items", "follow-ups"):
                for it in items(part, ok(cid, part)):
                    a = it["assignee"]
                    if "id" in a:
                        self.assertEqual(a["name"], members[a["id"]]["name"])
                        self.assertEqual(a.get("email"), members[a["id"]].get("email"))
                    seen["assignee_id" if "id" in a else "assignee_no_id" if a else "assignee_empty"] += 1
            st, s = get(cid, "summary")
            for it in s["summary"] if st == 200 else []:
                if "startTime" in it:
                    self.assertRegex(it["startTime"], iso)
                    self.assertRegex(it["endTime"], iso)
                    self.assertLess(ms(it["startTime"]), ms(it["endTime"]))
                    self.assertEqual(it["startTime"], msgs[it["messageRefs"][0]["id"]]["startTime"])
                seen["summary_times" if "startTime" in it else "summary_no_times"] += 1
            e = ok(cid, "entities")
            for ent in (e["entities"] if isinstance(e, dict) else e):
                ranges = ent.get("matches", [ent]) if ent["type"] == "datetime" else []
                for r in ranges:
                    self.assertRegex(r["start"], plain)
                    self.assertRegex(r["end"], plain)
                    self.assertLess(r["start"], r["end"])
                    self.assertNotIn("value", r)
                    self.assertNotIn("detectedValue", r)
                    for ref in r["messageRefs"]:
                        self.assertIn(ref["id"], msgs)
                    seen["range_" + type(e).__name__] += 1
                if isinstance(e, dict):
                    seen["group_id" if "id" in ent else "group_no_id"] += 1
                else:
                    self.assertNotIn("id", ent)
            for m in msgs.values():
                for pii in m.get("entities", []):
                    self.assertEqual(pii["type"], "PERSON_NAME")
                    self.assertEqual(m["text"][pii["offset"]:pii["offset"] + len(pii["value"])],
                                     pii["value"])
                seen["message_pii" if "entities" in m else "message_no_pii"] += 1
        for k in ("assignee_id", "assignee_no_id", "assignee_empty", "summary_times",
                  "summary_no_times", "range_list", "range_dict", "group_id", "group_no_id",
                  "message_pii", "message_no_pii"):
            self.assertGreater(seen[k], 0, k)

    def test_useful_answers(self):
        """Queries about pricing and assigned action items have answers."""
        pricing = emails = 0
        for c in DS[:100]:
            pricing += sum("pricing" in m["text"] for m in ok(c["id"], "messages")["messages"])
            emails += sum(bool((a.get("assignee") or {}).get("email"))
                          for a in ok(c["id"], "action-items")["actionItems"])
        self.assertGreater(pricing, 20)
        self.assertGreater(emails, 10)

    def test_deterministic(self):
        cids = [c["id"] for c in DS[:5]] + [DS[-1]["id"]]
        first = {(cid, p): ok(cid, p, "verbose=true&sentiment=true" if p == "messages" else "")
                 for cid in cids for p in PARTS if p != "summary"}
        other = Emulator(n=300)
        diff = Emulator("--seed", "7", n=300)
        try:
            for e in (other,):
                st, tok = e.token()
                for (cid, p), v in first.items():
                    st, obj = get(cid, p, "verbose=true&sentiment=true" if p == "messages" else "",
                                  token=tok["accessToken"], emu=e)
                    self.assertEqual(obj, v, (cid, p))
            st, tok = diff.token()
            # the fixed rows keep their ids under another seed; their parts change
            cid = next(c for c in cids[:5] if first[(c, "messages")]["messages"])
            st, obj = get(cid, "messages", "verbose=true&sentiment=true", token=tok["accessToken"], emu=diff)
            self.assertEqual(st, 200)
            self.assertNotEqual(obj, first[(cid, "messages")])
        finally:
            other.close()
            diff.close()


class TestStrictness(unittest.TestCase):
    def test_parameters(self):
        cid = DS[3]["id"]
        bad = [("", "x=1"), ("", "verbose=true"), ("messages", "verbose=yes"),
               ("messages", "verbose=True"), ("messages", "verbose=1"), ("messages", "verbose="),
               ("messages", "verbose"), ("messages", "verbose=true&verbose=true"),
               ("messages", "parentRefs=true"), ("members", "verbose=true"),
               ("topics", "sentiment=on"), ("topics", "customTopicVocabulary="),
               ("questions", "limit=10"), ("analytics", "offset=0"), ("entities", "x=y"),
               ("messages", "verbose=true&"), ("messages", "verbose=%zz")]
        for part, q in bad:
            st, obj = get(cid, part, q)
            self.assertEqual(st, 400, (part, q, obj))
            self.assertIn("message", obj)

    def test_refresh_is_a_violation(self):
        p = "/_x/tag=refr"
        EMU.control("POST", "reset?tag=refr")
        cid = DS[4]["id"]
        self.assertEqual(json.loads(EMU.control("GET", "violations?tag=refr")[1]),
                         {"violations": 0, "kinds": {}})
        st, _ = get(cid, "topics", "refresh=true", prefix=p)
        self.assertEqual(st, 200)
        st, _ = get(cid, "summary", "refresh=false", prefix=p)
        self.assertIn(st, (200, 404))
        st, _ = get(cid, "messages", "refresh=true", prefix=p)
        self.assertEqual(st, 400)
        st, _ = get(cid, "topics", "refresh=maybe", prefix=p)
        self.assertEqual(st, 400)
        get(cid, "topics", "sentiment=true", prefix=p)
        self.assertEqual(json.loads(EMU.control("GET", "violations?tag=refr")[1]),
                         {"violations": 4, "kinds": {"refresh": 4}})
        log = EMU.log("refr")
        self.assertEqual([l.endswith("violation=refresh") for l in log], [True] * 4 + [False])
        self.assertTrue(log[0].startswith("GET /v1/conversations/%s/topics?refresh=true -> 200 items=" % cid))
        self.assertEqual([r["violation"] for r in EMU.log("refr", "jsonl")], ["refresh"] * 4 + [None])
        # other tags: none
        self.assertEqual(json.loads(EMU.control("GET", "violations?tag=nobody")[1])["violations"], 0)
        EMU.control("POST", "reset?tag=refr")
        self.assertEqual(json.loads(EMU.control("GET", "violations?tag=refr")[1])["violations"], 0)

    def raw(self, target):
        s = socket.create_connection(("127.0.0.1", EMU.port), timeout=10)
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Connection: close\r\n\r\n" % (target, TOKEN)).encode("utf-8"))
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        return int(data.split(b" ", 2)[1])

    def test_path_escaping(self):
        p = "/_x/tag=esc"
        EMU.control("POST", "reset?tag=esc")
        odd = "a/b?c#d%e..f g"
        st, obj = get(odd, "messages", prefix=p)
        self.assertEqual((st, obj), (404, {"message": NOT_FOUND}))
        # a real id, needlessly encoded: decoded once, found
        enc = "".join("%%%02X" % ord(ch) for ch in DS[5]["id"])
        st, obj = call("GET", p + "/v1/conversations/" + enc)
        self.assertEqual((st, obj["id"]), (200, DS[5]["id"]))
        # decoded once only: %252F is the three characters %2F
        st, obj = call("GET", p + "/v1/conversations/a%252Fb/members")
        self.assertEqual(st, 404)
        js = EMU.log("esc", "jsonl")
        self.assertEqual([r["conversation_id"] for r in js], [odd, DS[5]["id"], "a%2Fb"])
        text = EMU.log("esc")
        self.assertEqual(text[0], "GET /v1/conversations/%s/messages -> 404 id=%s" % (quote(odd, safe=""), odd))
        self.assertEqual(text[1], "GET /v1/conversations/%s -> 200 id=%s" % (enc, DS[5]["id"]))
        self.assertEqual(text[2], "GET /v1/conversations/a%252Fb/members -> 404 id=a%2Fb")
        # unencoded: not one segment, or not allowed
        self.assertEqual(self.raw("/v1/conversations/a/b/messages"), 404)
        self.assertEqual(self.raw("/v1/conversations/../v1/conversations"), 400)
        self.assertEqual(self.raw("/v1/conversations/./messages"), 400)
        self.assertEqual(self.raw("/v1/conversations/a%2E%2E"), 404)
        self.assertEqual(self.raw("/v1/conversations/%2E%2E"), 404)
        self.assertEqual(self.raw("/v1/conversations/a b"), 400)
        self.assertEqual(self.raw("/v1/conversations/a\"b"), 400)
        self.assertEqual(self.raw("/v1/conversations/caf\u00e9"), 400)
        self.assertEqual(self.raw("/v1/conversations/%zz"), 400)
        self.assertEqual(self.raw("/v1/conversations/%FF"), 400)

    def test_faults_apply(self):
        cid = DS[6]["id"]
        n = len(ok(cid, "messages")["messages"])
        EMU.control("POST", "reset?tag=pf")
        st, obj = get(cid, "messages", prefix="/_x/tag=pf,status=503,count=1")
        self.assertEqual((st, obj), (503, {"message": "Injected 503"}))
        st, obj = get(cid, "messages", prefix="/_x/tag=pf,status=503,count=1")
        self.assertEqual(st, 200)
        st, obj = get(cid, "members", prefix="/_x/tag=pf2,body=not_json")
        self.assertEqual(st, 200)
        self.assertIsInstance(obj, bytes)
        st, obj = get(cid, "members", prefix="/_x/tag=pf3,status=429,retry_after=3", token="")
        self.assertEqual(st, 429)
        self.assertEqual(EMU.log("pf"), ["GET /v1/conversations/%s/messages -> 503 fault=status" % cid,
                                         "GET /v1/conversations/%s/messages -> 200 items=%d" % (cid, n)])

    def test_expire_token_after_counts_parts(self):
        e = Emulator(n=60)
        try:
            p = "/_x/tag=exp,expire_token_after=2"
            st, tok = e.token(p)
            t = tok["accessToken"]
            cid = "9990000000000001"
            sts = [get(cid, part, prefix=p, token=t, emu=e)[0] for part in ("messages", "", "topics")]
            self.assertEqual(sts, [200, 200, 401])
        finally:
            e.close()


class TestWrites(unittest.TestCase):
    def list_row(self, cid, prefix=""):
        st, r, body = EMU.get(qs(("startTime", EARLY), ("filter", "conversation.id==" + cid)),
                              prefix=prefix, token=TOKEN)
        rows = json.loads(body)["conversations"]
        return rows[0] if rows else None

    def test_put_metadata_replace_and_merge(self):
        cid = DS[10]["id"]
        p = "/_x/tag=wmeta"
        EMU.control("POST", "reset?tag=wmeta")
        st, obj = call("PUT", cpath(cid, prefix=p), {"metadata": {"agentId": "agent-new", "k": "v"}})
        self.assertEqual(st, 200)
        self.assertEqual(obj["id"], cid)
        self.assertEqual(obj["metadata"], {"agentId": "agent-new", "k": "v"})
        self.assertEqual(ok(cid, prefix=p)["metadata"], {"agentId": "agent-new", "k": "v"})
        st, obj = call("PUT", cpath(cid, prefix="/_x/tag=wmeta,put_metadata=merge"),
                       {"metadata": {"k": "w", "z": "1"}})
        self.assertEqual(obj["metadata"], {"agentId": "agent-new", "k": "w", "z": "1"})
        st, obj = call("PUT", cpath(cid, prefix="/_x/tag=wmeta,put_metadata=replace"), {"metadata": {}})
        self.assertEqual(obj["metadata"], {})
        # the list sees it, in that state only
        self.assertEqual(self.list_row(cid, p)["metadata"], {})
        self.assertEqual(self.list_row(cid), BY_ID[cid])
        EMU.control("POST", "reset?tag=wmeta")
        self.assertEqual(ok(cid, prefix=p)["metadata"], BY_ID[cid]["metadata"])

    def test_unknown_status_reading(self):
        # a PUT or DELETE of an unknown (or deleted) conversation: 404 by
        # default, 400 with the same message under unknown_status=400; GET stays 404
        EMU.control("POST", "reset?tag=wunk")
        for prefix, want in (("/_x/tag=wunk", 404), ("/_x/tag=wunk,unknown_status=400", 400)):
            st, obj = call("DELETE", cpath("no-such-id", prefix=prefix))
            self.assertEqual((st, obj["message"]),
                             (want, "The conversationId is either invalid or does not exist."))
            st, obj = call("PUT", cpath("no-such-id", prefix=prefix), {"metadata": {}})
            self.assertEqual(st, want)
            st, obj = call("GET", cpath("no-such-id", prefix=prefix))
            self.assertEqual(st, 404)
        st, obj = call("GET", cpath("x", prefix="/_x/tag=wunk,unknown_status=401"))
        self.assertEqual(st, 400)
        EMU.control("POST", "reset?tag=wunk")

    def test_merge_on_the_command_line(self):
        e = Emulator("--put-metadata", "merge", n=60)
        try:
            st, tok = e.token()
            t = tok["accessToken"]
            cid = "9990000000000002"
            st, obj = call("PUT", cpath(cid), {"metadata": {"new": "1"}}, token=t, emu=e)
            self.assertEqual(obj["metadata"], {"agentId": "agent-02", "customerId": "cust-002", "new": "1"})
            st, obj = call("PUT", cpath(cid, prefix="/_x/put_metadata=replace"), {"metadata": {"only": "1"}},
                           token=t, emu=e)
            self.assertEqual(obj["metadata"], {"only": "1"})
            # metadata null or absent: merged into nothing
            for cid in ("9990000000000016", "9990000000000046"):
                st, obj = call("PUT", cpath(cid), {"metadata": {"a": "b"}}, token=t, emu=e)
                self.assertEqual((st, obj["metadata"]), (200, {"a": "b"}))
        finally:
            e.close()

    def test_put_metadata_validation(self):
        cid = DS[11]["id"]
        p = cpath(cid, prefix="/_x/tag=wval")
        EMU.control("POST", "reset?tag=wval")
        bad = [b'{"metadata":{"a":"b"},"name":"x"}', b'{"name":"x"}', b'{}', b'[]', b'"x"',
               b'{"metadata":[]}', b'{"metadata":null}', b'{"metadata":{"a":1}}',
               b'{"metadata":{"a":null}}', b'{"metadata":{"a":{"b":"c"}}}',
               b'{"metadata":{"a":"' + b"x" * 129 + b'"}}',
               b'{"metadata":{"id":"1"}}', b'{"metadata":{"type":"call"}}',
               b'{"metadata":{"a":"1","a":"2"}}', b'{"metadata":{"a":"1"},"metadata":{"b":"2"}}',
               b'{"metadata":{"a":"1"}', b'', b'{"metadata":{"a":"\xff"}}', b'{"metadata":{"":"x"}}',
               b'{"metadata":{"a":"\\ud800"}}', b'{"metadata":{"a":NaN}}']
        for body in bad:
            st, obj = call("PUT", p, body, headers=JSON)
            self.assertEqual(st, 400, body)
        st, obj = call("PUT", p, b'{"metadata":{"a":"b"}}', headers={"Content-Type": "text/plain"})
        self.assertEqual(st, 400)
        st, obj = call("PUT", p + "?x=1", {"metadata": {"a": "b"}})
        self.assertEqual(st, 400)
        self.assertEqual(ok(cid, prefix="/_x/tag=wval")["metadata"], BY_ID[cid]["metadata"])
        good = {"metadata": {"a": "x" * 128, "ü": "Ω" * 128, "x.dotted-key": ""}}
        st, obj = call("PUT", p, good)
        self.assertEqual((st, obj["metadata"]), (200, good["metadata"]))
        log = EMU.log("wval", "jsonl")
        self.assertEqual(log[-1]["body"], good)
        self.assertEqual(log[0]["body"], {"metadata": {"a": "b"}, "name": "x"})
        self.assertEqual(log[13]["body"], '{"metadata":{"a":"1","a":"2"}}')
        self.assertEqual(log[17]["body"], '{"metadata":{"a":"\\xff"}}')
        text = EMU.log("wval")
        self.assertEqual(text[0], 'PUT /v1/conversations/%s -> 400 body={"metadata":{"a":"b"},"name":"x"}' % cid)
        self.assertEqual(text[-1], "PUT /v1/conversations/%s -> 200 body=%s"
                         % (cid, json.dumps(good, ensure_ascii=False, separators=(",", ":"))))
        for line in text + [json.dumps(log)]:
            self.assertNotIn(TOKEN, line)
            self.assertNotIn("Bearer", line)

    def test_metadata_filters_see_writes(self):
        p = "/_x/tag=wflt"
        EMU.control("POST", "reset?tag=wflt")
        a, b = DS[20]["id"], DS[21]["id"]
        for cid in (a, b):
            self.assertEqual(call("PUT", cpath(cid, prefix=p), {"metadata": {"agentId": "written"}})[0], 200)
        f = qs(("startTime", EARLY), ("filter", "conversation.metadata.agentId==written"))
        st, r, body = EMU.get(f, prefix=p, token=TOKEN)
        self.assertEqual(sorted(c["id"] for c in json.loads(body)["conversations"]), sorted([a, b]))
        st, r, body = EMU.get(f, token=TOKEN)
        self.assertEqual(json.loads(body)["conversations"], [])
        # the full list under the state equals the dataset dump under it
        st, dump = EMU.control("GET", "dataset?format=jsonl&state=wflt")
        rows = [json.loads(l) for l in dump.split(b"\n") if l]
        self.assertEqual(len(rows), len(DS))
        self.assertEqual(sum(r.get("metadata") == {"agentId": "written"} for r in rows), 2)
        listed = list_rows(("startTime", EARLY), ("sort", "conversation.id"), prefix=p)
        self.assertEqual(sorted(listed, key=lambda c: c["id"]), sorted(rows, key=lambda c: c["id"]))

    def test_member_rename_propagates(self):
        p = "/_x/tag=wmem"
        EMU.control("POST", "reset?tag=wmem")
        # a conversation with a member who speaks, and one without an id in the list
        for c in DS[60:]:
            if not c.get("members") or "id" in c["members"][0]:
                continue
            cid = c["id"]
            obj = ok(cid)
            mid = obj["members"][0]["id"]
            if any(m["from"].get("id") == mid for m in ok(cid, "messages")["messages"]):
                break
        before = {part: get(cid, part) for part in PARTS}
        body = {"id": mid, "name": "Renamed Person", "email": "renamed@example.net"}
        st, obj = call("PUT", cpath(cid, "members/" + quote(mid), prefix=p), body)
        self.assertEqual((st, obj), (200, {"message": "Member with id %s updated successfully! The update "
                                           "should be reflected in all messages and insights along with "
                                           "this conversation" % mid}))
        self.assertEqual(ok(cid, "members", prefix=p)["members"][0],
                         {"id": mid, "name": "Renamed Person", "email": "renamed@example.net"})
        self.assertEqual(ok(cid, prefix=p)["members"][0]["name"], "Renamed Person")
        row = self.list_row(cid, p)
        self.assertEqual(row["members"][0], {"name": "Renamed Person", "email": "renamed@example.net"})
        self.assertEqual(self.list_row(cid), c)
        msgs = ok(cid, "messages", prefix=p)["messages"]
        said = [m for m in msgs if m["from"].get("id") == mid]
        self.assertTrue(said)
        for m in said:
            self.assertEqual((m["from"]["name"], m["from"]["email"]), ("Renamed Person", "renamed@example.net"))
        old = c["members"][0]["name"]
        for part in ("questions", "action-items", "follow-ups"):
            for it in items(part, ok(cid, part, prefix=p)):
                if (it.get("from") or {}).get("id") == mid:
                    self.assertEqual(it["from"]["name"], "Renamed Person")
        for m in ok(cid, "analytics", prefix=p)["members"]:
            if m["id"] == mid:
                self.assertEqual(m["name"], "Renamed Person")
        # everything else as before, renamed
        after = {part: get(cid, part, prefix=p) for part in PARTS}

        def undo(v):
            if isinstance(v, dict):
                out = {k: undo(x) for k, x in v.items()}
                if out.get("name") == "Renamed Person":
                    out["name"] = old
                    if "email" in out:
                        if c["members"][0].get("email"):
                            out["email"] = c["members"][0]["email"]
                        else:
                            del out["email"]
                return out
            if isinstance(v, (list, tuple)):
                return type(v)(undo(x) for x in v)
            return v
        self.assertEqual(undo(after), before)
        # without email: the name changes, the email stays
        st, obj = call("PUT", cpath(cid, "members/" + mid, prefix=p), {"id": mid, "name": "Again"})
        self.assertEqual(st, 200)
        self.assertEqual(ok(cid, "members", prefix=p)["members"][0],
                         {"id": mid, "name": "Again", "email": "renamed@example.net"})

    def test_member_validation(self):
        p = "/_x/tag=wmv"
        EMU.control("POST", "reset?tag=wmv")
        c = next(c for c in DS if c.get("members"))
        cid = c["id"]
        mid = ok(cid)["members"][0]["id"]
        mp = cpath(cid, "members/" + mid, prefix=p)
        for body in ({"name": "x"}, {"id": mid}, {"id": "other", "name": "x"}, {"id": mid, "name": 1},
                     {"id": mid, "name": "x", "email": None}, {"id": mid, "name": "x", "role": "y"},
                     [mid], b'{"id":"%s","name":"a","name":"b"}' % mid.encode(),
                     b'{"id":"%s","name":"\\udc00"}' % mid.encode()):
            st, obj = call("PUT", mp, body, headers=JSON)
            self.assertEqual(st, 400, body)
        st, obj = call("PUT", cpath(cid, "members/no-such-member", prefix=p), {"id": "no-such-member", "name": "x"})
        self.assertEqual(st, 404)
        self.assertIn("no-such-member", obj["message"])
        st, obj = call("PUT", cpath("1234", "members/" + mid, prefix=p), {"id": mid, "name": "x"})
        self.assertEqual((st, obj), (404, {"message": INVALID}))
        self.assertEqual(EMU.log("wmv")[-1],
                         'PUT /v1/conversations/1234/members/%s -> 404 body={"id":"%s","name":"x"}' % (mid, mid))
        self.assertEqual(ok(cid, prefix=p), ok(cid))

    def test_delete(self):
        p = "/_x/tag=wdel"
        EMU.control("POST", "reset?tag=wdel")
        cid = DS[30]["id"]
        self.assertIsNotNone(self.list_row(cid, p))
        st, obj = call("DELETE", cpath(cid, prefix=p), b"x")
        self.assertEqual(st, 400)
        st, obj = call("DELETE", cpath(cid, prefix=p) + "?force=true")
        self.assertEqual(st, 400)
        st, obj = call("DELETE", cpath(cid, prefix=p))
        self.assertEqual((st, obj), (200, {"message": "successfully deleted the conversation"}))
        for part in ("",) + PARTS:
            self.assertEqual(get(cid, part, prefix=p), (404, {"message": NOT_FOUND}), part)
        self.assertEqual(call("DELETE", cpath(cid, prefix=p)), (404, {"message": INVALID}))
        self.assertEqual(call("PUT", cpath(cid, prefix=p), {"metadata": {}}), (404, {"message": INVALID}))
        self.assertEqual(call("DELETE", cpath("nope", prefix=p)), (404, {"message": INVALID}))
        self.assertIsNone(self.list_row(cid, p))
        listed = list_rows(("startTime", EARLY), ("sort", "conversation.id"), prefix=p)
        self.assertEqual(len(listed), len(DS) - 1)
        # other states still have it
        self.assertEqual(self.list_row(cid), BY_ID[cid])
        self.assertEqual(ok(cid)["id"], cid)
        self.assertEqual(EMU.log("wdel")[3], "DELETE /v1/conversations/%s -> 200" % cid)

    def test_state_key_and_reset_state(self):
        EMU.control("POST", "reset-state")
        cid = DS[40]["id"]
        st, obj = call("DELETE", cpath(cid, prefix="/_x/tag=s1,state=shared"))
        self.assertEqual(st, 200)
        # another tag in the same state sees it; the tag's own state does not
        self.assertEqual(get(cid, prefix="/_x/tag=s2,state=shared")[0], 404)
        self.assertEqual(get(cid, prefix="/_x/tag=s1")[0], 200)
        self.assertEqual(get(cid, prefix="/_x/tag=shared")[0], 404)   # state name = tag name
        st, body = EMU.control("POST", "reset-state?state=other")
        self.assertEqual(get(cid, prefix="/_x/tag=s2,state=shared")[0], 404)
        st, body = EMU.control("POST", "reset-state?state=shared")
        self.assertEqual((st, json.loads(body)), (200, {}))
        self.assertEqual(get(cid, prefix="/_x/tag=s2,state=shared")[0], 200)
        self.assertEqual(EMU.control("GET", "reset-state")[0], 405)
        # a write after a reset is never mistaken for an older one (list cache)
        p = "/_x/tag=s3"
        for k in range(3):
            call("PUT", cpath(cid, prefix=p), {"metadata": {"k": str(k)}})
            self.assertEqual(self.list_row(cid, p)["metadata"], {"k": str(k)})
            EMU.control("POST", "reset-state?state=s3")
            self.assertEqual(self.list_row(cid, p)["metadata"], BY_ID[cid]["metadata"])

    def test_drop_answer(self):
        p = "/_x/tag=wdrop,drop_answer=1,after=1,count=1"
        EMU.control("POST", "reset?tag=wdrop")
        cid = DS[41]["id"]
        self.assertEqual(get(cid, prefix=p)[0], 200)        # not in the window
        c = EMU.conn(fresh=True)
        try:
            with self.assertRaises((ConnectionError, OSError, http.client.HTTPException)):
                c.request("DELETE", cpath(cid, prefix=p), headers={"Authorization": "Bearer " + TOKEN})
                c.getresponse().read()
        finally:
            c.close()
        self.assertEqual(call("DELETE", cpath(cid, prefix=p)), (404, {"message": INVALID}))
        self.assertEqual(EMU.log("wdrop"), ["GET /v1/conversations/%s -> 200" % cid,
                                            "DELETE /v1/conversations/%s -> none fault=drop_answer" % cid,
                                            "DELETE /v1/conversations/%s -> 404" % cid])

    def test_gather(self):
        # the first 3 writes are held until all 3 are in flight; later ones are not
        p = "/_x/tag=wgather,gather=3"
        EMU.control("POST", "reset?tag=wgather")
        EMU.control("POST", "reset-state?state=wgather")
        cids = [DS[k]["id"] for k in (42, 43, 44, 45)]
        results = {}

        def put(cid):
            c = EMU.conn(fresh=True)
            try:
                c.request("PUT", cpath(cid, prefix=p), body=json.dumps({"metadata": {"g": "1"}}),
                          headers={"Authorization": "Bearer " + TOKEN,
                                   "Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                results[cid] = r.status
            finally:
                c.close()
        threads = [threading.Thread(target=put, args=(c,)) for c in cids[:3]]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(results, {c: 200 for c in cids[:3]})
        self.assertEqual(call("DELETE", cpath(cids[3], prefix=p))[0], 200)
        self.assertEqual(sorted(EMU.log("wgather")),
                         sorted(["PUT /v1/conversations/%s -> 200 body={\"metadata\":{\"g\":\"1\"}}" % c
                                 for c in cids[:3]] +
                                ["DELETE /v1/conversations/%s -> 200" % cids[3]]))
        EMU.control("POST", "reset-state?state=wgather")

    def test_path_has(self):
        # only requests whose path holds the string count and fail
        a, b = DS[46]["id"], DS[47]["id"]
        p = "/_x/tag=wpath,status=503,after=1,path_has=" + a
        EMU.control("POST", "reset?tag=wpath")
        self.assertEqual([get(b, prefix=p)[0], get(b, prefix=p)[0], get(a, prefix=p)[0],
                          get(b, prefix=p)[0], get(a, "members", prefix=p)[0]],
                         [200, 200, 200, 200, 503])

    def test_bad_spec_keys(self):
        for spec in ("put_metadata=append", "state=", "put_metadata=merge,put_metadata=merge",
                     "drop_answer=2", "gather=0", "gather=x"):
            st, obj = get(DS[0]["id"], prefix="/_x/" + spec)
            self.assertEqual(st, 400, spec)


class TestControlParts(unittest.TestCase):
    def test_part_is_the_api_body(self):
        for c in DS[:8] + [BY_ID[i] for i in ODD_IDS]:
            for part, q in [("conversation", "")] + [(p, "") for p in PARTS] + [
                    ("messages", "&verbose=true&sentiment=true"), ("topics", "&sentiment=true&parentRefs=true")]:
                st, r, body = EMU.request("GET", "/_control/part?conversation=%s&path=%s%s"
                                          % (quote(c["id"], safe=""), part, q))
                api = cpath(c["id"], "" if part == "conversation" else part) + ("?" + q[1:] if q else "")
                st2, r2, body2 = EMU.request("GET", api, headers={"Authorization": "Bearer " + TOKEN})
                self.assertEqual((st, body), (st2, body2), (c["id"], part, q))
        for bad in ("conversation=%s&path=nope" % DS[0]["id"], "path=messages",
                    "conversation=%s&path=messages&verbose=yes" % DS[0]["id"],
                    "conversation=%s&path=messages&x=1" % DS[0]["id"],
                    "conversation=%s&path=summary&refresh=true" % DS[0]["id"]):
            self.assertEqual(EMU.control("GET", "part?" + bad)[0], 400, bad)
        self.assertEqual(EMU.control("GET", "part?conversation=nope&path=messages")[0], 404)

    def test_parts_dump(self):
        cids = [DS[k]["id"] for k in (0, 5, 17, 60, 61)] + list(ODD_IDS)
        st, body = EMU.control("GET", "parts?format=jsonl&ids=%s&verbose=true" % ",".join(cids))
        self.assertEqual(st, 200)
        lines = [json.loads(l) for l in body.decode("utf-8").split("\n") if l]
        for cid in cids:
            mine = [l for l in lines if l["conversation_id"] == cid]
            self.assertEqual([l["item"] for l in mine if l["part"] == "conversation"], [ok(cid)])
            for part in PARTS:
                st, ans = get(cid, part, "verbose=true" if part == "messages" else "")
                got = [l["item"] for l in mine if l["part"] == part]
                if part == "summary" and st == 404:
                    self.assertEqual(got, [])
                elif part == "analytics":
                    self.assertEqual(got, [ans])
                else:
                    self.assertEqual(got, items(part, ans), (cid, part))
                if part == "entities":
                    self.assertEqual({l["shape"] for l in mine if l["part"] == part} - {"list", "object"},
                                     set())
            for l in mine:
                self.assertEqual(set(l) - {"shape"}, {"conversation_id", "part", "item"})
        # one part, the first N, a state
        st, body = EMU.control("GET", "parts?part=members&first=10")
        lines = [json.loads(l) for l in body.split(b"\n") if l]
        self.assertEqual({l["part"] for l in lines}, {"members"})
        self.assertEqual({l["conversation_id"] for l in lines},
                         {c["id"] for c in DS[:10] if c.get("members")})
        EMU.control("POST", "reset?tag=dumpst")
        call("DELETE", cpath(DS[2]["id"], prefix="/_x/tag=dumpst"))
        st, body = EMU.control("GET", "parts?part=conversation&first=5&state=dumpst")
        self.assertEqual([json.loads(l)["conversation_id"] for l in body.split(b"\n") if l],
                         [DS[k]["id"] for k in (0, 1, 3, 4)])
        for bad in ("part=nope", "format=csv", "first=x", "ids=a&first=2", "part=members&verbose=true",
                    "zzz=1"):
            self.assertEqual(EMU.control("GET", "parts?" + bad)[0], 400, bad)


if __name__ == "__main__":
    unittest.main()
