/* Parsing the text of CLUSTER NODES: one line per known node,
 * `<name> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slots>...`.
 * Nodes are identified by their address (node x is 127.0.0.(11+x)), which
 * survives a CLUSTER RESET HARD that changes the name; the master field is a
 * name, resolved against the other lines of the same text. */
#include "real_int.h"

#include <stdlib.h>
#include <string.h>

/* Node id of an address field "127.0.0.12:6379@16379", or -1. */
static int node_of_addr(const char *field, size_t len)
{
    if (len < 9 || strncmp(field, "127.0.0.", 8) != 0)
        return -1;
    int octet = atoi(field + 8);
    int x = octet - RL_FIRST_OCTET;
    return x >= 0 && x < RL_MAX_NODES ? x : -1;
}

/* Whether the comma list flags[0..len) contains `flag`. */
static bool has_flag(const char *flags, size_t len, const char *flag)
{
    size_t n = strlen(flag);
    const char *p = flags, *end = flags + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if ((size_t)(stop - p) == n && !strncmp(p, flag, n))
            return true;
        p = stop + 1;
    }
    return false;
}

/* Marks the slots of one slot field ("5-9" or "7"; "[..]" fields are
 * migrations in progress and are skipped). */
static void parse_slots(int16_t *owner, int node, const char *field)
{
    if (field[0] == '[' || node < 0)
        return;
    char *end = NULL;
    long lo = strtol(field, &end, 10), hi = lo;
    if (end && *end == '-')
        hi = strtol(end + 1, NULL, 10);
    if (lo < 0 || hi >= RC_SLOTS)
        return;
    for (long s = lo; s <= hi; s++)
        owner[s] = (int16_t)node;
}

/* The fields of one line: up to 8 fixed ones, then the slots. */
typedef struct {
    const char *start[8];
    size_t len[8];
    int count;
    const char *rest; /* the slot fields, or the line's end */
} fields;

/* Splits a line at spaces into its fixed fields (at most 8) and the rest. */
static void split_line(const char *line, const char *end, fields *f)
{
    f->count = 0;
    const char *p = line;
    while (p < end && f->count < 8) {
        while (p < end && *p == ' ')
            p++;
        const char *q = p;
        while (q < end && *q != ' ')
            q++;
        if (q == p)
            break;
        f->start[f->count] = p;
        f->len[f->count++] = (size_t)(q - p);
        p = q;
    }
    f->rest = p;
}

/* Slot fields of the rest of a line. */
static void parse_slot_fields(int16_t *owner, int node, const char *p, const char *end)
{
    char field[64];
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        const char *q = p;
        while (q < end && *q != ' ')
            q++;
        size_t len = (size_t)(q - p);
        if (len > 0 && len < sizeof field) {
            memcpy(field, p, len);
            field[len] = '\0';
            parse_slots(owner, node, field);
        }
        p = q;
    }
}

/* Without allocations: the poller parses every node's text every round. */
int rl_parse_nodes(const char *text, int n, rl_nodes_line *lines, int cap, int16_t *owner)
{
    if (owner)
        for (int s = 0; s < RC_SLOTS; s++)
            owner[s] = -1;
    /* Names and master fields point into `text` (40 characters). */
    const char **names = g_newa(const char *, cap > 0 ? cap : 1);
    const char **masters = g_newa(const char *, cap > 0 ? cap : 1);
    int k = 0;
    const char *p = text;
    while (*p && k < cap) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        if (end > p && end[-1] == '\r')
            end--;
        fields f;
        split_line(p, end, &f);
        if (f.count == 8 && f.len[0] == 40) {
            rl_nodes_line *ln = &lines[k];
            memset(ln, 0, sizeof *ln);
            ln->node = node_of_addr(f.start[1], f.len[1]);
            if (ln->node >= n)
                ln->node = -1; /* not a node of this run */
            ln->master_of = -1;
            ln->myself = has_flag(f.start[2], f.len[2], "myself");
            ln->master = has_flag(f.start[2], f.len[2], "master");
            ln->pfail = has_flag(f.start[2], f.len[2], "fail?");
            ln->fail = has_flag(f.start[2], f.len[2], "fail");
            ln->handshake = has_flag(f.start[2], f.len[2], "handshake");
            ln->noaddr = has_flag(f.start[2], f.len[2], "noaddr");
            ln->config_epoch = g_ascii_strtoll(f.start[6], NULL, 10);
            names[k] = f.start[0];
            masters[k] = f.len[3] == 40 ? f.start[3] : NULL;
            if (owner)
                parse_slot_fields(owner, ln->node, f.rest, end);
            k++;
        }
        p = eol ? eol + 1 : end;
    }
    /* A replica's master, by name among the other lines: at most 240 lines,
     * so a scan is as fast as a table. */
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k && masters[i]; j++)
            if (!memcmp(masters[i], names[j], 40)) {
                lines[i].master_of = lines[j].node;
                break;
            }
    return k;
}
