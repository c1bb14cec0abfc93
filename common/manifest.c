/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading ConfigMaps from a YAML manifest with libyaml's event parser.
 *
 * We walk the event stream ourselves instead of using libyaml's document
 * loader, so every limit is ours and applies while parsing: the input size,
 * the nesting depth, and no anchors or aliases at all (an alias is how a
 * few hundred bytes of YAML expand into gigabytes: "billion laughs").  Tags
 * other than !!str are refused too: Kubernetes manifests have no use for
 * them, and a value that is not plainly a string is not a profile.
 *
 * Only objects of kind ConfigMap contribute keys, at the top level of a
 * document or as items of a "kind: List" document (what "kubectl get
 * configmap -o yaml" prints for several).  Because a mapping's keys come in
 * any order (kubectl prints "data" before "kind"), an object's entries are
 * collected on the side and kept only once its mapping ends and its kind is
 * known.
 */
#include "common/configmap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define KIND_MAX 64 /* longer kinds are no kind we know */
#define PROFILE_MAX  ((size_t)KP_PROFILE_MAX_BYTES)
#define MANIFEST_MAX ((size_t)KP_MANIFEST_MAX_BYTES)

struct mparser {
	yaml_parser_t parser;
	yaml_event_t event;  /* the current event, owned while have_event */
	bool have_event;
	int depth;
	unsigned configmaps; /* objects of kind ConfigMap seen */
	char *err;
	size_t errlen;
};

/* What one object (a mapping at the top of a document or in a List's
 * items) turned out to be. */
struct object {
	char kind[KIND_MAX + 1];
	bool kind_seen, data_seen, binary_seen, items_seen;
	bool data_malformed;   /* data/binaryData not a mapping of strings */
	bool too_many;         /* more entries than KP_KEYS_MAX */
	unsigned item_configmaps;  /* ConfigMaps among a List's items */
	struct kp_entry_set entries;
	struct kp_entry_set items; /* ConfigMap entries of a List's items */
};

static void __attribute__((format(printf, 2, 3)))
fail(struct mparser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err == NULL || p->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

static size_t
event_line(const struct mparser *p)
{
	return p->event.start_mark.line + 1;
}

static bool
tag_is_plain_string(const yaml_char_t *tag)
{
	return tag == NULL || strcmp((const char *)tag, YAML_STR_TAG) == 0;
}

/* Advance to the next event and apply the stream-wide rules to it. */
static int
next_event(struct mparser *p)
{
	if (p->have_event) {
		yaml_event_delete(&p->event);
		p->have_event = false;
	}
	if (!yaml_parser_parse(&p->parser, &p->event)) {
		fail(p, "YAML syntax error at line %zu: %s",
		    p->parser.problem_mark.line + 1,
		    p->parser.problem != NULL ? p->parser.problem : "unknown");
		return -1;
	}
	p->have_event = true;
	switch (p->event.type) {
	case YAML_ALIAS_EVENT:
		fail(p, "line %zu: YAML aliases are not accepted", event_line(p));
		return -1;
	case YAML_SCALAR_EVENT:
		if (p->event.data.scalar.anchor != NULL) {
			fail(p, "line %zu: YAML anchors are not accepted",
			    event_line(p));
			return -1;
		}
		if (!tag_is_plain_string(p->event.data.scalar.tag)) {
			fail(p, "line %zu: YAML tags other than !!str are not "
			    "accepted", event_line(p));
			return -1;
		}
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		const yaml_char_t *anchor, *tag;
		if (p->event.type == YAML_SEQUENCE_START_EVENT) {
			anchor = p->event.data.sequence_start.anchor;
			tag = p->event.data.sequence_start.tag;
		} else {
			anchor = p->event.data.mapping_start.anchor;
			tag = p->event.data.mapping_start.tag;
		}
		if (anchor != NULL) {
			fail(p, "line %zu: YAML anchors are not accepted",
			    event_line(p));
			return -1;
		}
		if (tag != NULL) {
			fail(p, "line %zu: YAML tags are not accepted",
			    event_line(p));
			return -1;
		}
		if (++p->depth > KP_MANIFEST_MAX_DEPTH) {
			fail(p, "line %zu: nested deeper than %d levels",
			    event_line(p), KP_MANIFEST_MAX_DEPTH);
			return -1;
		}
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		p->depth--;
		return 0;
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return 0;
	}
	return 0;
}

/* The current event starts a node: consume the rest of it. */
static int
skip_node(struct mparser *p)
{
	int level = 0;

	do {
		switch (p->event.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			level++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			level--;
			break;
		case YAML_SCALAR_EVENT:
			break;
		case YAML_NO_EVENT:
		case YAML_ALIAS_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			fail(p, "line %zu: unexpected YAML event", event_line(p));
			return -1;
		}
		if (level > 0 && next_event(p) != 0)
			return -1;
	} while (level > 0);
	return 0;
}

static bool
scalar_is(const struct mparser *p, const char *s)
{
	size_t n = strlen(s);

	return p->event.type == YAML_SCALAR_EVENT &&
	    p->event.data.scalar.length == n &&
	    memcmp(p->event.data.scalar.value, s, n) == 0;
}

/* A plain "~", "null" or nothing: YAML's null, as in "data:" with no value. */
static bool
scalar_is_null(const struct mparser *p)
{
	if (p->event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return p->event.data.scalar.length == 0 || scalar_is(p, "~") ||
	    scalar_is(p, "null") || scalar_is(p, "Null") || scalar_is(p, "NULL");
}

/* Add the current scalar as a key to set.  A key we cannot hold as a C
 * string unchanged (a NUL byte, longer than Kubernetes allows) is kept in a
 * mangled form with KEY_FORMAT, so it is reported and never matches a
 * real key.  Returns NULL when the set is full (obj->too_many) or out of
 * memory (-1 from the caller). */
static struct kp_entry *
add_key(struct mparser *p, struct object *obj)
{
	const char *key = (const char *)p->event.data.scalar.value;
	size_t len = p->event.data.scalar.length;
	bool has_nul = memchr(key, '\0', len) != NULL;
	bool too_long = len > KP_ENTRY_KEY_MAX;

	if (obj->entries.count >= KP_KEYS_MAX) {
		obj->too_many = true;
		return NULL;
	}
	struct kp_entry *e = kp_entry_set_add(&obj->entries, key,
	    too_long ? KP_ENTRY_KEY_MAX : len);
	if (e == NULL)
		return NULL;
	if (has_nul) {
		/* strndup stopped at the NUL; rebuild with '?' for it. */
		size_t n = too_long ? KP_ENTRY_KEY_MAX : len;
		char *copy = malloc(n + 1);
		if (copy == NULL)
			return NULL;
		memcpy(copy, key, n);
		for (size_t i = 0; i < n; i++) {
			if (copy[i] == '\0')
				copy[i] = '?';
		}
		copy[n] = '\0';
		free(e->key);
		e->key = copy;
		kp_entry_fail(e, KP_REASON_KEY_FORMAT, "key contains a NUL byte");
	} else if (too_long) {
		kp_entry_fail(e, KP_REASON_KEY_FORMAT, "key longer than %d bytes",
		    KP_ENTRY_KEY_MAX);
	}
	return e;
}

/* The current scalar is the value of e. */
static int
take_value(struct mparser *p, struct kp_entry *e, bool binary)
{
	if (e->read_error != KP_REASON_NONE)
		return 0;
	if (binary) {
		kp_entry_fail(e, KP_REASON_BINARY_DATA,
		    "binaryData is not accepted: a profile is text");
		return 0;
	}
	size_t len = p->event.data.scalar.length;
	if (len > PROFILE_MAX) {
		kp_entry_fail(e, KP_REASON_TOO_LARGE, "larger than %d bytes",
		    KP_PROFILE_MAX_BYTES);
		return 0;
	}
	/* The bytes exactly as libyaml decoded them (UTF-8); the validator
	 * judges them.  Never NULL, even when empty. */
	e->data = malloc(len ? len : 1);
	if (e->data == NULL) {
		fail(p, "out of memory");
		return -1;
	}
	memcpy(e->data, p->event.data.scalar.value, len);
	e->len = len;
	return 0;
}

/* "data:" or "binaryData:": the current event starts its value. */
static int
parse_values(struct mparser *p, struct object *obj, bool binary)
{
	if (p->event.type == YAML_SCALAR_EVENT && scalar_is_null(p))
		return 0;
	if (p->event.type != YAML_MAPPING_START_EVENT) {
		/* Only an error if this turns out to be a ConfigMap. */
		obj->data_malformed = true;
		return skip_node(p);
	}
	for (;;) {
		if (next_event(p) != 0)
			return -1;
		if (p->event.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (p->event.type != YAML_SCALAR_EVENT) {
			obj->data_malformed = true;
			if (skip_node(p) != 0 || next_event(p) != 0 ||
			    skip_node(p) != 0)
				return -1;
			continue;
		}
		struct kp_entry *e = add_key(p, obj);
		if (e == NULL && !obj->too_many) {
			fail(p, "out of memory");
			return -1;
		}
		if (next_event(p) != 0)
			return -1;
		if (p->event.type == YAML_SCALAR_EVENT) {
			if (e != NULL && take_value(p, e, binary) != 0)
				return -1;
			continue;
		}
		if (e != NULL && binary)
			kp_entry_fail(e, KP_REASON_BINARY_DATA,
			    "binaryData is not accepted: a profile is text");
		else if (e != NULL && e->read_error == KP_REASON_NONE)
			kp_entry_fail(e, KP_REASON_READ_ERROR,
			    "value is a %s, not a string",
			    p->event.type == YAML_MAPPING_START_EVENT ?
			    "mapping" : "sequence");
		if (skip_node(p) != 0)
			return -1;
	}
}

/* Move every entry of src to the end of dst; src is left empty. */
static int
move_entries(struct mparser *p, struct kp_entry_set *dst,
    struct kp_entry_set *src)
{
	for (size_t i = 0; i < src->count; i++) {
		struct kp_entry *from = &src->entries[i];
		if (dst->count >= KP_KEYS_MAX) {
			fail(p, "%s: more than %d keys",
			    kp_reason_code(KP_REASON_TOO_MANY_KEYS), KP_KEYS_MAX);
			return -1;
		}
		struct kp_entry *to = kp_entry_set_add(dst, "", 0);
		if (to == NULL) {
			fail(p, "out of memory");
			return -1;
		}
		free(to->key);
		*to = *from;
		from->key = NULL;
		from->data = NULL;
	}
	kp_entry_set_free(src);
	return 0;
}

static void
object_free(struct object *obj)
{
	kp_entry_set_free(&obj->entries);
	kp_entry_set_free(&obj->items);
}

static int parse_object(struct mparser *p, int level,
    struct kp_entry_set *dst, unsigned *configmaps);

/* "items:" of a List: the current event starts its value. */
static int
parse_items(struct mparser *p, struct object *obj)
{
	if (p->event.type != YAML_SEQUENCE_START_EVENT)
		return skip_node(p);
	for (;;) {
		if (next_event(p) != 0)
			return -1;
		if (p->event.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (p->event.type == YAML_MAPPING_START_EVENT) {
			if (parse_object(p, 1, &obj->items,
			    &obj->item_configmaps) != 0)
				return -1;
		} else if (skip_node(p) != 0) {
			return -1;
		}
	}
}

/* Duplicate keys at the top of an object are a YAML error that Kubernetes'
 * own decoder refuses too; we check the ones whose value we use. */
static int
mark_seen(struct mparser *p, bool *seen, const char *name)
{
	if (*seen) {
		fail(p, "line %zu: duplicate key \"%s\"", event_line(p), name);
		return -1;
	}
	*seen = true;
	return 0;
}

/* The current event is the MAPPING_START of an object.  When the object
 * is a ConfigMap, its entries go to dst and *configmaps counts it; when it
 * is a top-level List, the entries of its ConfigMap items do. */
static int
parse_object(struct mparser *p, int level, struct kp_entry_set *dst,
    unsigned *configmaps)
{
	struct object obj;
	int ret = -1;

	memset(&obj, 0, sizeof(obj));
	for (;;) {
		if (next_event(p) != 0)
			goto out;
		if (p->event.type == YAML_MAPPING_END_EVENT)
			break;
		if (p->event.type != YAML_SCALAR_EVENT) {
			fail(p, "line %zu: an object's keys must be strings",
			    event_line(p));
			goto out;
		}
		if (scalar_is(p, "kind")) {
			if (mark_seen(p, &obj.kind_seen, "kind") != 0 ||
			    next_event(p) != 0)
				goto out;
			if (p->event.type != YAML_SCALAR_EVENT) {
				fail(p, "line %zu: kind must be a string",
				    event_line(p));
				goto out;
			}
			size_t n = p->event.data.scalar.length;
			if (n <= KIND_MAX &&
			    memchr(p->event.data.scalar.value, '\0', n) == NULL) {
				memcpy(obj.kind, p->event.data.scalar.value, n);
				obj.kind[n] = '\0';
			}
		} else if (scalar_is(p, "data")) {
			if (mark_seen(p, &obj.data_seen, "data") != 0 ||
			    next_event(p) != 0 || parse_values(p, &obj, false) != 0)
				goto out;
		} else if (scalar_is(p, "binaryData")) {
			if (mark_seen(p, &obj.binary_seen, "binaryData") != 0 ||
			    next_event(p) != 0 || parse_values(p, &obj, true) != 0)
				goto out;
		} else if (level == 0 && scalar_is(p, "items")) {
			if (mark_seen(p, &obj.items_seen, "items") != 0 ||
			    next_event(p) != 0 || parse_items(p, &obj) != 0)
				goto out;
		} else {
			if (next_event(p) != 0 || skip_node(p) != 0)
				goto out;
		}
	}
	if (strcmp(obj.kind, "ConfigMap") == 0) {
		(*configmaps)++;
		if (obj.data_malformed) {
			fail(p, "line %zu: a ConfigMap's data and binaryData "
			    "must map string keys to strings", event_line(p));
			goto out;
		}
		if (obj.too_many) {
			fail(p, "%s: more than %d keys",
			    kp_reason_code(KP_REASON_TOO_MANY_KEYS), KP_KEYS_MAX);
			goto out;
		}
		if (move_entries(p, dst, &obj.entries) != 0)
			goto out;
	} else if (level == 0 && strcmp(obj.kind, "List") == 0) {
		if (move_entries(p, dst, &obj.items) != 0)
			goto out;
		*configmaps += obj.item_configmaps;
	}
	ret = 0;
out:
	object_free(&obj);
	return ret;
}

/* The current event is DOCUMENT_START. */
static int
parse_document(struct mparser *p, struct kp_entry_set *out)
{
	if (next_event(p) != 0)
		return -1;
	switch (p->event.type) {
	case YAML_MAPPING_START_EVENT:
		if (parse_object(p, 0, out, &p->configmaps) != 0)
			return -1;
		break;
	case YAML_SCALAR_EVENT:
		/* An empty document, as between "---" separators. */
		if (scalar_is_null(p))
			break;
		fail(p, "line %zu: a document must be a mapping", event_line(p));
		return -1;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
	case YAML_NO_EVENT:
	case YAML_ALIAS_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		fail(p, "line %zu: a document must be a mapping", event_line(p));
		return -1;
	}
	if (next_event(p) != 0)
		return -1;
	if (p->event.type != YAML_DOCUMENT_END_EVENT) {
		fail(p, "line %zu: unexpected content at the end of a document",
		    event_line(p));
		return -1;
	}
	return 0;
}

/* After sorting: a key that appears twice (in one ConfigMap, in data and
 * binaryData, or in two ConfigMaps of the stream) is ambiguous.  Keep one
 * entry for it, unreadable, so the key is reported once. */
static void
collapse_duplicates(struct kp_entry_set *set)
{
	size_t w = 0;

	for (size_t r = 0; r < set->count; r++) {
		if (w > 0 && strcmp(set->entries[w - 1].key,
		    set->entries[r].key) == 0) {
			kp_entry_fail(&set->entries[w - 1], KP_REASON_DUPLICATE_KEY,
			    "key appears more than once");
			free(set->entries[r].key);
			free(set->entries[r].data);
			continue;
		}
		if (w != r)
			set->entries[w] = set->entries[r];
		w++;
	}
	set->count = w;
}

int
kp_manifest_read(const unsigned char *buf, size_t len,
    struct kp_entry_set *out, char *err, size_t errlen)
{
	struct mparser p;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if (len > MANIFEST_MAX) {
		fail(&p, "input larger than %d bytes", KP_MANIFEST_MAX_BYTES);
		return -1;
	}
	if (!yaml_parser_initialize(&p.parser)) {
		fail(&p, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p.parser, buf, len);

	if (next_event(&p) != 0)
		goto out;
	if (p.event.type != YAML_STREAM_START_EVENT) {
		fail(&p, "not a YAML stream");
		goto out;
	}
	for (;;) {
		if (next_event(&p) != 0)
			goto out;
		if (p.event.type == YAML_STREAM_END_EVENT)
			break;
		if (p.event.type != YAML_DOCUMENT_START_EVENT) {
			fail(&p, "line %zu: unexpected YAML event", event_line(&p));
			goto out;
		}
		if (parse_document(&p, out) != 0)
			goto out;
	}
	if (p.configmaps == 0) {
		fail(&p, "no object of kind ConfigMap in the input");
		goto out;
	}
	kp_entry_set_sort(out);
	collapse_duplicates(out);
	ret = 0;
out:
	if (p.have_event)
		yaml_event_delete(&p.event);
	yaml_parser_delete(&p.parser);
	if (ret != 0)
		kp_entry_set_free(out);
	else if (err != NULL && errlen > 0)
		err[0] = '\0';
	return ret;
}
