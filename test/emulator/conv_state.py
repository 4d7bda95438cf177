"""Writes: the state overlays that PUT and DELETE change, and the strict
validation of their bodies.

The dataset itself never changes.  Each *state* (named; by default the
request's tag) is an immutable Overlay snapshot over it: deleted rows,
replaced metadata, edited members.  A write swaps in a new snapshot (copy on
write), so a reader holding the old one never sees it change under it, and a
state without writes is None: the list endpoint pays nothing.

Python 3 standard library only.
"""

import json

META_VALUE_MAX = 128
META_RESERVED = ("id", "type")


class BodyError(ValueError):
    pass


class Overlay:
    """One state's writes over the dataset (immutable; writes make a copy)."""
    __slots__ = ("name", "version", "deleted", "meta", "members", "_rows")

    def __init__(self, name, version=0, deleted=frozenset(), meta=None, members=None):
        self.name = name
        self.version = version
        self.deleted = deleted          # frozenset of row indices
        self.meta = meta or {}          # row index -> metadata dict
        self.members = members or {}    # row index -> {position: {"name", "email"?}}
        self._rows = {}                 # row index -> list row bytes (a cache)

    def key(self):
        return (self.name, self.version)

    def with_delete(self, idx):
        return Overlay(self.name, self.version + 1, self.deleted | {idx},
                       self.meta, self.members)

    def with_meta(self, idx, meta):
        m = dict(self.meta)
        m[idx] = meta
        return Overlay(self.name, self.version + 1, self.deleted, m, self.members)

    def with_member(self, idx, pos, name, email):
        mem = dict(self.members)
        edits = dict(mem.get(idx, {}))
        e = {"name": name}
        if email is not None:
            e["email"] = email
        elif "email" in edits.get(pos, {}):
            e["email"] = edits[pos]["email"]
        edits[pos] = e
        mem[idx] = edits
        return Overlay(self.name, self.version + 1, self.deleted, self.meta, mem)

    def metadata(self, idx, base):
        """A row's metadata under this state (base: the dataset's)."""
        return self.meta.get(idx, base) if self.meta else base

    def row_dict(self, idx, base_bytes):
        """The list row of a conversation under this state, as a dict."""
        row = json.loads(base_bytes)
        if idx in self.meta:
            row["metadata"] = self.meta[idx]
        for pos, e in self.members.get(idx, {}).items():
            m = row["members"][pos]
            m["name"] = e["name"]
            if "email" in e:
                m["email"] = e["email"]
        return row

    def row_bytes(self, idx, base_bytes, encode):
        if idx not in self.meta and idx not in self.members:
            return base_bytes
        b = self._rows.get(idx)
        if b is None:
            b = self._rows[idx] = encode(self.row_dict(idx, base_bytes))
        return b


class MetasView:
    """The metadata column under an overlay (for the list's RSQL filter)."""
    __slots__ = ("base", "meta")

    def __init__(self, base, meta):
        self.base = base
        self.meta = meta

    def __getitem__(self, i):
        m = self.meta.get(i)
        return self.base[i] if m is None and i not in self.meta else m


def _no_dup_pairs(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise BodyError("duplicate key %r in request body" % dup)
    return dict(pairs)


def _no_constants(name):
    raise BodyError("%s is not JSON" % name)


def _strict_loads(text):
    """JSON as RFC 8259 has it: no duplicate keys, no NaN/Infinity."""
    return json.loads(text, object_pairs_hook=_no_dup_pairs, parse_constant=_no_constants)


def parse_json_body(raw, content_type):
    """Strict JSON request body -> (value, logged form).  Raises BodyError."""
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise BodyError("Content-Type must be application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("request body is not valid UTF-8")
    try:
        return _strict_loads(text)
    except BodyError:
        raise
    except ValueError as e:
        raise BodyError("request body is not valid JSON: %s" % e)


def logged_body(raw):
    """What the request log shows of a write's body: the JSON value when it
    parses, else the text (invalid UTF-8 shown as \\xNN escapes)."""
    text = raw.decode("utf-8", errors="backslashreplace")
    try:
        value = _strict_loads(text)
        json.dumps(value, ensure_ascii=False).encode("utf-8")   # no lone surrogates
        return value
    except (ValueError, UnicodeEncodeError):
        return text


def _text_ok(s):
    """A string that can go over the wire as UTF-8 (no lone surrogates from
    \\ud800-style escapes)."""
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def validate_metadata_body(obj):
    """{"metadata": {key: string <= 128 chars}} -> the metadata dict."""
    if not isinstance(obj, dict):
        raise BodyError("request body must be a JSON object {\"metadata\":{...}}")
    extra = sorted(set(obj) - {"metadata"})
    if extra:
        raise BodyError("only \"metadata\" can be updated; unknown field(s): %s" % ", ".join(extra))
    if "metadata" not in obj:
        raise BodyError("\"metadata\" is required")
    meta = obj["metadata"]
    if not isinstance(meta, dict):
        raise BodyError("\"metadata\" must be an object")
    for k, v in meta.items():
        if k == "":
            raise BodyError("metadata keys must not be empty")
        if k in META_RESERVED:
            raise BodyError("metadata key %r is reserved" % k)
        if not isinstance(v, str):
            raise BodyError("metadata value of %r must be a string" % k)
        if not (_text_ok(k) and _text_ok(v)):
            raise BodyError("metadata of %r holds a lone surrogate escape" % k)
        if len(v) > META_VALUE_MAX:
            raise BodyError("metadata value of %r is longer than %d characters"
                            % (k, META_VALUE_MAX))
    return meta


def validate_member_body(obj, member_id):
    """{"id": member_id, "name": str, "email"?: str} -> (name, email or None)."""
    if not isinstance(obj, dict):
        raise BodyError("request body must be a JSON object {\"id\":...,\"name\":...}")
    extra = sorted(set(obj) - {"id", "name", "email"})
    if extra:
        raise BodyError("unknown field(s) in request body: %s" % ", ".join(extra))
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        raise BodyError("\"id\" is required and must be a non-empty string")
    if obj["id"] != member_id:
        raise BodyError("\"id\" must equal the member id in the path")
    if not isinstance(obj.get("name"), str):
        raise BodyError("\"name\" is required and must be a string")
    if "email" in obj and not isinstance(obj["email"], str):
        raise BodyError("\"email\" must be a string")
    if not all(_text_ok(obj[k]) for k in ("id", "name", "email") if k in obj):
        raise BodyError("request body holds a lone surrogate escape")
    return obj["name"], obj.get("email")
