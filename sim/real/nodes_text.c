/* Parsing the text of CLUSTER NODES: one line per known node,
 * `<name> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slots>...`.
 * Nodes are identified by their address (node x is 127.0.0.(11+x)), which
 * survives a CLUSTER RESET HARD that changes the name; the master field is a
 * name, resolved against the other lines of the same text. */
#include "real_int.h"

#include <stdlib.h>
#include <string.h>

/* Node id of an address field "127.0.0.12:6379@16379", or -1. */
static int node_of_addr(const char *field)
{
    if (strncmp(field, "127.0.0.", 8) != 0)
        return -1;
    int octet = atoi(field + 8);
    int x = octet - RL_FIRST_OCTET;
    return x >= 0 && x < RL_MAX_NODES ? x : -1;
}

/* Sets the flags of `ln` from the comma list `flags`. */
static void parse_flags(rl_nodes_line *ln, const char *flags)
{
    gchar **f = g_strsplit(flags, ",", 0);
    for (int i = 0; f[i]; i++) {
        const char *s = f[i];
        ln->myself |= !strcmp(s, "myself");
        ln->master |= !strcmp(s, "master");
        ln->pfail |= !strcmp(s, "fail?");
        ln->fail |= !strcmp(s, "fail");
        ln->handshake |= !strcmp(s, "handshake");
        ln->noaddr |= !strcmp(s, "noaddr");
    }
    g_strfreev(f);
}

/* Marks the slots of one slot field ("5-9" or "7"; "[..]" fields are
 * migrations in progress and are skipped). */
static void parse_slots(int16_t *owner, int node, const char *field)
{
    if (field[0] == '[' || node < 0)
        return;
    char *dash = strchr(field, '-');
    int lo = atoi(field), hi = dash ? atoi(dash + 1) : lo;
    if (lo < 0 || hi >= RL_SLOTS)
        return;
    for (int s = lo; s <= hi; s++)
        owner[s] = (int16_t)node;
}

int rl_parse_nodes(const char *text, rl_nodes_line *lines, int cap, int16_t *owner)
{
    if (owner)
        for (int s = 0; s < RL_SLOTS; s++)
            owner[s] = -1;
    gchar **rows = g_strsplit(text, "\n", 0);
    typedef char name_buf[41];
    name_buf *names = g_malloc0(sizeof(name_buf) * (size_t)(cap > 0 ? cap : 1));
    name_buf *masters = g_malloc0(sizeof(name_buf) * (size_t)(cap > 0 ? cap : 1));
    int k = 0;
    for (int i = 0; rows[i] && k < cap; i++) {
        gchar **f = g_strsplit(g_strstrip(rows[i]), " ", 0);
        if (g_strv_length(f) >= 8) {
            rl_nodes_line *ln = &lines[k];
            memset(ln, 0, sizeof *ln);
            ln->node = node_of_addr(f[1]);
            ln->master_of = -1;
            parse_flags(ln, f[2]);
            ln->config_epoch = g_ascii_strtoll(f[6], NULL, 10);
            g_strlcpy(names[k], f[0], sizeof names[k]);
            g_strlcpy(masters[k], f[3], sizeof masters[k]);
            for (int j = 8; owner && f[j]; j++)
                parse_slots(owner, ln->node, f[j]);
            k++;
        }
        g_strfreev(f);
    }
    /* Names to lines, so that a 100-node text resolves in linear time. */
    GHashTable *by_name = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < k; i++)
        g_hash_table_insert(by_name, names[i], GINT_TO_POINTER(i + 1));
    for (int i = 0; i < k; i++) {
        int j = GPOINTER_TO_INT(g_hash_table_lookup(by_name, masters[i])) - 1;
        if (j >= 0)
            lines[i].master_of = lines[j].node;
    }
    g_hash_table_destroy(by_name);
    g_free(names);
    g_free(masters);
    g_strfreev(rows);
    return k;
}
