/* The compare layer's private header: reading an output directory's JSON
 * files (read.c) for the measurement of its events (measure.c). Only files
 * of sim/compare/ include it. */
#ifndef RCSIM_COMPARE_INT_H
#define RCSIM_COMPARE_INT_H

#include "rcsim/compare.h"

#include <json-glib/json-glib.h>

/* One output directory read into memory: the header, every event line and
 * summary.json, each line kept as its parsed object. */
typedef struct {
    char *events_path;         /* DIR/events.jsonl, for messages */
    JsonObject *header;        /* line 1 */
    GPtrArray *events;         /* JsonObject * of lines 2..; owned (unref) */
    JsonObject *summary;       /* summary.json's object; owned */
    JsonParser *summary_parser;
} cmp_files;

/* Reads DIR/events.jsonl and DIR/summary.json. Every event line must be an
 * object with a numeric "t" and a string "ev"; the header must be a "run"
 * line with "nodes" and "config". False with RC_COMPARE_ERROR_INPUT and a
 * "file:line:column: message" otherwise, with nothing left to free. */
bool cmp_files_read(const char *dir, cmp_files *f, GError **error);
void cmp_files_clear(cmp_files *f);

/* Member helpers: the value of `name` in `o` when it has that type, else
 * `fallback` (NULL for strings, arrays and objects). */
double cmp_number(JsonObject *o, const char *name, double fallback);
const char *cmp_string(JsonObject *o, const char *name);
JsonArray *cmp_array(JsonObject *o, const char *name);
JsonObject *cmp_object(JsonObject *o, const char *name);

#endif
