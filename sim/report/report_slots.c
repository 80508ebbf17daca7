/* Slot views of every observer, from OWNER events and kill/restart faults,
 * sampled into the time x slot grid of the slots chart.
 *
 * Each observer's view is a uint16_t[16384] (shared with the initial layout
 * until the observer's first change). Per slot the tracker keeps how many live
 * observers bind it to each owner and how many live nodes claim it for
 * themselves, so the majority owner, disagreement and double claims of a row
 * of slots are known after every event without scanning the views. It also
 * counts the claims of nodes that take writes (alive, not stopped, own
 * cluster_state ok; set by rpt_slots_writable), for the pictures' "no
 * writes" and "two writable owners" cells. */
#include "report_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint16_t owner;
    uint32_t count;
} owner_count;

/* The owners live observers bind one slot to. Nearly every slot has one
 * or two in a whole run, so two entries live inline and only a slot that
 * gets more has an allocated array (16384 allocations fewer per run). */
#define INLINE_OWNERS 2
typedef struct {
    owner_count *e; /* `inline_e` or an allocated array */
    uint16_t n, cap;
    owner_count inline_e[INLINE_OWNERS];
} slot_counts;

struct rc_slot_tracker {
    int nodes, columns, rows, per_row;
    rc_time end;
    uint16_t *initial;
    uint16_t **view;     /* per observer; NULL while equal to initial */
    gboolean *alive;
    slot_counts *counts; /* per slot */
    uint16_t *claims;    /* per slot: live nodes binding it to themselves */
    gboolean *writable;  /* per node: takes writes */
    uint16_t *wclaims;   /* per slot: nodes taking writes binding it to themselves */
    int *row_nowrite;    /* per row: slots without a writable claim */
    int *row_twowrite;   /* per row: slots with two or more writable claims */
    int *row_disagree;   /* per row: slots with more than one live binding */
    int *row_claims;     /* per row: slots claimed by two or more nodes */
    uint8_t *row_now;    /* per row: its RC_PLOT_CELL_* flags from the four above */
    uint16_t *row_owner; /* per row: majority owner now */
    uint16_t *row_initial; /* per row: majority owner at creation */
    uint8_t *acc;        /* per row: flags seen since the current column began */
    int col;             /* the current column */
    uint16_t *owner;     /* grid, columns * rows */
    uint8_t *flags;
};

/* Parses slot ranges "0-5460,6000" and sets owner[slot] = node for each.
 * Returns FALSE on malformed text or slots out of range. */
gboolean rpt_parse_ranges(const char *s, uint16_t *owner, int node)
{
    while (s && *s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s)
            return FALSE;
        s = end;
        if (*s == '-') {
            b = strtol(s + 1, &end, 10);
            if (end == s + 1)
                return FALSE;
            s = end;
        }
        if (a < 0 || b >= RC_SLOTS || b < a)
            return FALSE;
        for (long i = a; i <= b; i++)
            owner[i] = (uint16_t)node;
        if (*s == ',')
            s++;
        else if (*s)
            return FALSE;
    }
    return TRUE;
}

/* Returns a newly allocated copy of `size` bytes. */
static void *dup_bytes(const void *src, gsize size)
{
    void *out = g_malloc(MAX(size, 1));
    memcpy(out, src, size);
    return out;
}

/* The column of time t. */
static int column_of(const rc_slot_tracker *tr, rc_time t)
{
    if (tr->end <= 0 || t <= 0)
        return 0;
    int64_t c = (int64_t)((double)t / (double)tr->end * tr->columns);
    return (int)MIN(c, (int64_t)tr->columns - 1);
}

/* Recomputes the flags of a row after one of its four counts changed. */
static void row_recount(rc_slot_tracker *tr, int row)
{
    tr->row_now[row] = (uint8_t)((tr->row_disagree[row] ? RC_PLOT_CELL_DISAGREE : 0) |
                                 (tr->row_claims[row] ? RC_PLOT_CELL_TWO_CLAIMS : 0) |
                                 (tr->row_nowrite[row] ? RC_PLOT_CELL_NO_WRITES : 0) |
                                 (tr->row_twowrite[row] ? RC_PLOT_CELL_TWO_WRITABLE : 0));
}

/* The RC_PLOT_CELL_* flags a row has now. The closing of every column
 * reads every row's (960 x 512 reads in a run), so they are kept up to
 * date by row_recount rather than derived from the counts each time. */
static inline uint8_t row_flags(const rc_slot_tracker *tr, int row)
{
    return tr->row_now[row];
}

/* The owner most live observers bind `slot` to (ties: the smaller id). */
static uint16_t slot_majority(const rc_slot_tracker *tr, int slot)
{
    const slot_counts *sc = &tr->counts[slot];
    uint16_t best = RC_PLOT_NO_OWNER;
    uint32_t best_count = 0;
    for (int i = 0; i < sc->n; i++)
        if (sc->e[i].count > best_count ||
            (sc->e[i].count == best_count && sc->e[i].owner < best)) {
            best = sc->e[i].owner;
            best_count = sc->e[i].count;
        }
    return best;
}

/* Recomputes a row's owner: the owner most of its slots have, where slots
 * whose owner changed since the start count first, so that a change to a
 * few slots of a row stays visible at the row's coarse resolution. */
static void update_row(rc_slot_tracker *tr, int row)
{
    uint16_t tops[RC_SLOTS / 16];
    gboolean changed[RC_SLOTS / 16], any_changed = FALSE;
    int per = tr->per_row, best_count = 0;
    uint16_t best = RC_PLOT_NO_OWNER;
    for (int i = 0; i < per; i++) {
        tops[i] = slot_majority(tr, row * per + i);
        changed[i] = tops[i] != tr->initial[row * per + i];
        any_changed |= changed[i];
    }
    /* Nearly always every slot that counts has the same owner: then it is
     * the row's, as the counting below would find. */
    int first = 0;
    while (any_changed && !changed[first])
        first++;
    gboolean uniform = TRUE;
    for (int i = first + 1; i < per && uniform; i++)
        uniform = tops[i] == tops[first] || (any_changed && !changed[i]);
    if (uniform)
        best = tops[first];
    for (int i = 0; i < per && !uniform; i++) {
        if (any_changed && !changed[i])
            continue;
        int c = 0;
        for (int j = 0; j < per; j++)
            c += tops[j] == tops[i] && (changed[j] || !any_changed);
        if (c > best_count) {
            best_count = c;
            best = tops[i];
        }
    }
    tr->row_owner[row] = best;
    tr->acc[row] |= row_flags(tr, row);
}

/* Creates the tracker with every node seeing the creation-time owners. */
rc_slot_tracker *rpt_slots_new(const rc_report *r, int columns, int rows)
{
    rc_slot_tracker *tr = g_new0(rc_slot_tracker, 1);
    tr->nodes = r->n;
    tr->columns = columns;
    tr->rows = rows;
    tr->per_row = RC_SLOTS / rows;
    tr->end = r->end;
    tr->initial = g_new(uint16_t, RC_SLOTS);
    for (int s = 0; s < RC_SLOTS; s++)
        tr->initial[s] = RC_PLOT_NO_OWNER;
    for (int id = 0; id < r->n; id++)
        if (r->nodes[id].master && r->nodes[id].slots)
            rpt_parse_ranges(r->nodes[id].slots, tr->initial, id);
    tr->view = g_new0(uint16_t *, r->n);
    tr->alive = g_new(gboolean, r->n);
    for (int id = 0; id < r->n; id++)
        tr->alive[id] = TRUE;
    tr->counts = g_new0(slot_counts, RC_SLOTS);
    tr->claims = g_new0(uint16_t, RC_SLOTS);
    tr->writable = g_new(gboolean, r->n);
    for (int id = 0; id < r->n; id++)
        tr->writable[id] = TRUE;
    tr->wclaims = g_new0(uint16_t, RC_SLOTS);
    tr->row_nowrite = g_new0(int, rows);
    tr->row_twowrite = g_new0(int, rows);
    for (int s = 0; s < RC_SLOTS; s++) {
        slot_counts *sc = &tr->counts[s];
        sc->cap = INLINE_OWNERS;
        sc->e = sc->inline_e;
        sc->e[0] = (owner_count){ tr->initial[s], (uint32_t)r->n };
        sc->n = r->n > 0;
        tr->claims[s] = tr->initial[s] != RC_PLOT_NO_OWNER;
        tr->wclaims[s] = tr->claims[s];
        tr->row_nowrite[s / tr->per_row] += tr->wclaims[s] == 0;
    }
    tr->row_disagree = g_new0(int, rows);
    tr->row_claims = g_new0(int, rows);
    tr->row_now = g_new0(uint8_t, rows);
    for (int row = 0; row < rows; row++)
        row_recount(tr, row);
    tr->row_owner = g_new0(uint16_t, rows);
    tr->acc = g_new0(uint8_t, rows);
    for (int row = 0; row < rows; row++)
        update_row(tr, row);
    tr->row_initial = dup_bytes(tr->row_owner, sizeof(uint16_t) * (gsize)rows);
    tr->owner = g_new0(uint16_t, (gsize)columns * (gsize)rows);
    tr->flags = g_new0(uint8_t, (gsize)columns * (gsize)rows);
    return tr;
}

/* Frees the tracker and every view. */
void rpt_slots_free(rc_slot_tracker *tr)
{
    if (!tr)
        return;
    for (int i = 0; i < tr->nodes; i++)
        g_free(tr->view[i]);
    for (int s = 0; s < RC_SLOTS; s++)
        if (tr->counts[s].e != tr->counts[s].inline_e)
            g_free(tr->counts[s].e);
    g_free(tr->view);
    g_free(tr->initial);
    g_free(tr->alive);
    g_free(tr->counts);
    g_free(tr->claims);
    g_free(tr->writable);
    g_free(tr->wclaims);
    g_free(tr->row_nowrite);
    g_free(tr->row_twowrite);
    g_free(tr->row_disagree);
    g_free(tr->row_claims);
    g_free(tr->row_now);
    g_free(tr->row_owner);
    g_free(tr->row_initial);
    g_free(tr->acc);
    g_free(tr->owner);
    g_free(tr->flags);
    g_free(tr);
}

/* Stores column `c` from the current row owners and flags, with the flags
 * in `row_flag_src` added when use_acc is set. */
static void store_column(uint16_t *owner, uint8_t *flags, const rc_slot_tracker *tr,
                         int c, const uint8_t *row_flag_src, gboolean use_acc)
{
    gsize first = (gsize)c * (gsize)tr->rows;
    memcpy(owner + first, tr->row_owner, sizeof(uint16_t) * (gsize)tr->rows);
    uint8_t *out = flags + first;
    if (!use_acc) {
        memcpy(out, tr->row_now, (gsize)tr->rows);
        return;
    }
    for (int row = 0; row < tr->rows; row++)
        out[row] = (uint8_t)(tr->row_now[row] | row_flag_src[row]);
}

/* Closes every column that ends at or before t. */
static void advance(rc_slot_tracker *tr, rc_time t)
{
    int target = column_of(tr, t);
    while (tr->col < target) {
        store_column(tr->owner, tr->flags, tr, tr->col, tr->acc, TRUE);
        memcpy(tr->acc, tr->row_now, (gsize)tr->rows);
        tr->col++;
    }
}

/* Adds `delta` live observers binding `slot` to `owner`. */
static void count_add(rc_slot_tracker *tr, int slot, uint16_t owner, int delta)
{
    slot_counts *sc = &tr->counts[slot];
    int before = sc->n, i = 0;
    while (i < sc->n && sc->e[i].owner != owner)
        i++;
    if (i == sc->n) {
        if (delta < 0)
            return;
        if (sc->n == sc->cap) {
            sc->cap = (uint16_t)(sc->cap * 2);
            if (sc->e == sc->inline_e)
                sc->e = g_memdup2(sc->inline_e, sizeof sc->inline_e);
            sc->e = g_renew(owner_count, sc->e, sc->cap);
        }
        sc->e[sc->n++] = (owner_count){ owner, 0 };
    }
    sc->e[i].count = (uint32_t)((int64_t)sc->e[i].count + delta);
    if (sc->e[i].count == 0)
        sc->e[i] = sc->e[--sc->n];
    if ((before > 1) != (sc->n > 1)) {
        tr->row_disagree[slot / tr->per_row] += sc->n > 1 ? 1 : -1;
        row_recount(tr, slot / tr->per_row);
    }
}

/* Adds `delta` nodes claiming `slot` for themselves. */
static void claim_add(rc_slot_tracker *tr, int slot, int delta)
{
    int before = tr->claims[slot];
    tr->claims[slot] = (uint16_t)(before + delta);
    if ((before > 1) != (tr->claims[slot] > 1)) {
        tr->row_claims[slot / tr->per_row] += tr->claims[slot] > 1 ? 1 : -1;
        row_recount(tr, slot / tr->per_row);
    }
}

/* Adds `delta` nodes taking writes that claim `slot` for themselves. */
static void wclaim_add(rc_slot_tracker *tr, int slot, int delta)
{
    int before = tr->wclaims[slot], row = slot / tr->per_row;
    tr->wclaims[slot] = (uint16_t)(before + delta);
    gboolean nowrite_changed = (before == 0) != (tr->wclaims[slot] == 0);
    gboolean twowrite_changed = (before > 1) != (tr->wclaims[slot] > 1);
    if (nowrite_changed)
        tr->row_nowrite[row] += tr->wclaims[slot] == 0 ? 1 : -1;
    if (twowrite_changed)
        tr->row_twowrite[row] += tr->wclaims[slot] > 1 ? 1 : -1;
    if (nowrite_changed || twowrite_changed)
        row_recount(tr, row);
}

/* The observer's own copy of its view, made on first change. */
static uint16_t *own_view(rc_slot_tracker *tr, int observer)
{
    if (!tr->view[observer])
        tr->view[observer] = dup_bytes(tr->initial, sizeof(uint16_t) * RC_SLOTS);
    return tr->view[observer];
}

/* Rebinds the listed slots to `owner` (-1: unbound) in observer's view. */
void rpt_slots_owner(rc_slot_tracker *tr, rc_time t, int observer, int owner,
                     const rc_slot_list *list)
{
    if (!tr || !list || observer < 0 || observer >= tr->nodes)
        return;
    advance(tr, t);
    uint16_t w = owner < 0 ? RC_PLOT_NO_OWNER : (uint16_t)owner;
    uint16_t *v = own_view(tr, observer);
    int last_row = -1;
    for (int i = 0; i < list->count; i++) {
        int s = list->slots[i];
        if (s < 0 || s >= RC_SLOTS || v[s] == w)
            continue;
        if (tr->alive[observer]) {
            count_add(tr, s, v[s], -1);
            count_add(tr, s, w, +1);
            claim_add(tr, s, (w == observer) - (v[s] == observer));
        }
        if (tr->writable[observer] && (w == observer) != (v[s] == observer))
            wclaim_add(tr, s, (w == observer) - (v[s] == observer));
        v[s] = w;
        if (s / tr->per_row != last_row && last_row >= 0)
            update_row(tr, last_row);
        last_row = s / tr->per_row;
    }
    if (last_row >= 0)
        update_row(tr, last_row);
}

/* Counts or stops counting a node's view (restart / kill). */
void rpt_slots_alive(rc_slot_tracker *tr, rc_time t, int node, gboolean alive)
{
    if (!tr || node < 0 || node >= tr->nodes || tr->alive[node] == alive)
        return;
    advance(tr, t);
    tr->alive[node] = alive;
    const uint16_t *v = tr->view[node] ? tr->view[node] : tr->initial;
    int delta = alive ? 1 : -1;
    for (int s = 0; s < RC_SLOTS; s++) {
        count_add(tr, s, v[s], delta);
        if (v[s] == node)
            claim_add(tr, s, delta);
    }
    for (int row = 0; row < tr->rows; row++)
        update_row(tr, row);
}

/* Counts or stops counting a node's claims as writable: it takes writes
 * (alive, not stopped, own cluster_state ok) or no longer does. */
void rpt_slots_writable(rc_slot_tracker *tr, rc_time t, int node, gboolean writable)
{
    if (!tr || node < 0 || node >= tr->nodes || tr->writable[node] == writable)
        return;
    advance(tr, t);
    tr->writable[node] = writable;
    const uint16_t *v = tr->view[node] ? tr->view[node] : tr->initial;
    int last_row = -1;
    for (int s = 0; s < RC_SLOTS; s++) {
        if (v[s] != node)
            continue;
        wclaim_add(tr, s, writable ? 1 : -1);
        if (s / tr->per_row != last_row && last_row >= 0)
            tr->acc[last_row] |= row_flags(tr, last_row);
        last_row = s / tr->per_row;
    }
    if (last_row >= 0)
        tr->acc[last_row] |= row_flags(tr, last_row);
}

/* Copies the sampled grid and fills the columns from the current one to the
 * last with the state after the last event. */
void rpt_slots_grid(const rc_slot_tracker *tr, rc_time end, rc_plot_slot_grid *grid)
{
    gsize cells = (gsize)tr->columns * (gsize)tr->rows;
    grid->columns = tr->columns;
    grid->rows = tr->rows;
    grid->end = tr->end > 0 ? tr->end : end;
    grid->initial = dup_bytes(tr->row_initial, sizeof(uint16_t) * (gsize)tr->rows);
    grid->owner = dup_bytes(tr->owner, sizeof(uint16_t) * cells);
    grid->flags = dup_bytes(tr->flags, cells);
    for (int c = tr->col; c < tr->columns; c++)
        store_column(grid->owner, grid->flags, tr, c, tr->acc, c == tr->col);
}
