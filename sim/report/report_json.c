/* JSON fragments for the report: strings, times, labels. Locale-free. */
#include "report_int.h"

#include <inttypes.h>
#include <stdio.h>

/* Appends `s` as a JSON string literal: quotes, backslashes and control
 * characters escaped, invalid UTF-8 replaced by U+FFFD. NULL becomes "". */
void rpt_json_string(GString *out, const char *s)
{
    char *valid = NULL;
    if (!s)
        s = "";
    if (!g_utf8_validate(s, -1, NULL))
        s = valid = g_utf8_make_valid(s, -1);
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
    g_free(valid);
}

/* Formats integer microseconds as seconds with six decimals, sign first. */
char *rc_report_format_time(rc_time t, char *buf)
{
    const char *sign = "";
    uint64_t u = (uint64_t)t;
    if (t < 0) {
        sign = "-";
        u = (uint64_t)0 - (uint64_t)t;
    }
    snprintf(buf, 32, "%s%" PRIu64 ".%06" PRIu64, sign, u / 1000000u, u % 1000000u);
    return buf;
}

/* Appends a time as seconds with exactly six decimals. */
void rpt_json_time(GString *out, rc_time t)
{
    char buf[32];
    g_string_append(out, rc_report_format_time(t, buf));
}

/* Writes the canonical label of `node` into buf (RC_LABEL_MAX bytes); "?" for
 * an id outside the layout. */
const char *rpt_label(const rc_report *r, int node, char *buf)
{
    if (node < 0 || node >= r->n) {
        g_strlcpy(buf, "?", RC_LABEL_MAX);
        return buf;
    }
    return rc_layout_label(r->layout, node, buf);
}

/* Appends a node's label as a JSON string, or null for -1. */
void rpt_json_label(GString *out, const rc_report *r, int node)
{
    char buf[RC_LABEL_MAX];
    if (node < 0) {
        g_string_append(out, "null");
        return;
    }
    rpt_json_string(out, rpt_label(r, node, buf));
}

/* Appends `,"key":` (the comma only when the object already has a member). */
void rpt_json_key(GString *out, const char *key)
{
    if (out->len > 0 && out->str[out->len - 1] != '{' && out->str[out->len - 1] != '[')
        g_string_append_c(out, ',');
    rpt_json_string(out, key);
    g_string_append_c(out, ':');
}
