/* Timed actions: the `at` and `every` statements, the names of the actions,
 * and the arguments of each action. */
#include "scenario_int.h"

#include "rcsim/events.h"

#include <string.h>

/* ==== actions ============================================================ */

static const char *const action_names[] = {
    [RC_ACT_STOP] = "stop",           [RC_ACT_CONT] = "cont",
    [RC_ACT_KILL] = "kill",           [RC_ACT_RESTART] = "restart",
    [RC_ACT_PARTITION] = "partition", [RC_ACT_CUT] = "cut",
    [RC_ACT_ISOLATE] = "isolate",     [RC_ACT_HEAL] = "heal",
    [RC_ACT_LATENCY] = "latency",     [RC_ACT_LOSS] = "loss",
    [RC_ACT_FAILOVER] = "failover",   [RC_ACT_REPLICATE] = "replicate",
    [RC_ACT_NOTE] = "note",           [RC_ACT_SET] = "set",
    [RC_ACT_SNAPSHOT] = "snapshot",   [RC_ACT_MEET] = "meet",
    [RC_ACT_FORGET] = "forget",       [RC_ACT_RESET] = "reset",
    [RC_ACT_BUMPEPOCH] = "bumpepoch", [RC_ACT_DROP] = "drop-packets",
    [RC_ACT_MOVE_SLOTS] = "move-slots", [RC_ACT_ADDSLOTS] = "addslots",
    [RC_ACT_DELSLOTS] = "delslots",
};

/* The action's keyword as written in scenarios, or "?" for an unknown kind. */
const char *rc_action_kind_name(rc_action_kind kind)
{
    return (unsigned)kind < G_N_ELEMENTS(action_names) ? action_names[kind] : "?";
}

/* Adds a group to the action and reports a second `rest`. */
static void add_group(parser *p, rc_action *a, rc_nodeset *g, int *rests)
{
    if (!g)
        return;
    if (g->kind == RC_NS_REST && ++*rests == 2) {
        token t = {.line = g->line, .col = g->column};
        scn_bad(p, &t, "'rest' may be used for only one group");
    }
    a->groups = g_renew(rc_nodeset *, a->groups, a->n_groups + 1);
    a->groups[a->n_groups++] = g;
}

/* Checks, when every group is static, that the groups of a partition do not
 * overlap and that `rest` is not empty. */
static void check_partition(parser *p, const rc_action *a)
{
    if (!p->layout)
        return;
    int n = p->layout->nodes, *owner = g_new(int, n), rest = -1;
    for (int id = 0; id < n; id++)
        owner[id] = -1;
    bool ok = true;
    for (int g = 0; g < a->n_groups && ok; g++) {
        int *ids;
        if (a->groups[g]->kind == RC_NS_REST) {
            rest = g;
            continue;
        }
        int k = scn_static_eval(p, a->groups[g], &ids);
        ok = k >= 0;
        for (int i = 0; i < k && ok; i++) {
            int other = owner[ids[i]];
            if (other >= 0 && other != g) {
                char buf[RC_LABEL_MAX];
                token t = {.line = a->groups[g]->line, .col = a->groups[g]->column};
                scn_bad(p, &t, "partition groups overlap: %s is in '%s' and in '%s'",
                        rc_layout_label(p->layout, ids[i], buf),
                        a->groups[other]->text, a->groups[g]->text);
                ok = false;
            }
            owner[ids[i]] = g;
        }
        g_free(ids);
    }
    if (ok && rest >= 0) {
        int left = 0;
        for (int id = 0; id < n; id++)
            left += owner[id] < 0;
        if (left == 0) {
            token t = {.line = a->groups[rest]->line, .col = a->groups[rest]->column};
            scn_bad(p, &t, "'rest' is empty: every node is in another group");
        }
    }
    g_free(owner);
}

/* `partition A | B [| C ...]` and `heal [A | B ...]`. */
static void parse_groups(parser *p, rc_action *a, const token *kw)
{
    int rests = 0;
    if (a->kind == RC_ACT_HEAL && scn_peek(p)->kind == T_END)
        return;
    do {
        add_group(p, a, scn_parse_nodes(p, NS_REST), &rests);
    } while (!p->failed && scn_peek(p)->kind == T_PIPE && scn_advance(p));
    if (!p->failed && a->n_groups < 2)
        scn_fail(p, scn_peek(p), "'%s' needs at least two node sets separated by '|', "
                 "got %s", action_names[a->kind], scn_quote(p, scn_peek(p)));
    if (!p->failed && a->kind == RC_ACT_PARTITION && rests < 2)
        check_partition(p, a);
}

/* `cut A -> B`. */
static void parse_cut(parser *p, rc_action *a)
{
    int rests = 0;
    add_group(p, a, scn_parse_nodes(p, NS_REST), &rests);
    if (p->failed || !scn_expect_tok(p, T_ARROW, "'->'"))
        return;
    add_group(p, a, scn_parse_nodes(p, NS_REST), &rests);
}

/* `failover <node> [force|takeover]`. */
static void parse_failover(parser *p, rc_action *a)
{
    a->node = scn_parse_node(p, NULL);
    if (p->failed || scn_peek(p)->kind == T_END)
        return;
    const token *t = scn_advance(p);
    if (scn_tok_is(p, t, "force"))
        a->option = RC_FAILOVER_FORCE;
    else if (scn_tok_is(p, t, "takeover"))
        a->option = RC_FAILOVER_TAKEOVER;
    else
        scn_fail(p, t, "expected 'force' or 'takeover', got %s", scn_quote(p, t));
}

/* `move-slots <slots> from <node> to <node>`. */
static void parse_move_slots(parser *p, rc_action *a)
{
    scn_parse_slot_range(p, &a->slot_lo, &a->slot_hi);
    if (p->failed)
        return;
    if (!scn_accept_word(p, "from")) {
        scn_fail(p, scn_peek(p), "expected 'from <node>' after the slots, got %s",
                 scn_quote(p, scn_peek(p)));
        return;
    }
    a->node = scn_parse_node(p, NULL);
    if (p->failed)
        return;
    if (!scn_accept_word(p, "to")) {
        scn_fail(p, scn_peek(p), "expected 'to <node>', got %s", scn_quote(p, scn_peek(p)));
        return;
    }
    a->target = scn_parse_node(p, NULL);
    if (!p->failed && a->node == a->target && a->node >= 0)
        scn_bad(p, scn_previous(p), "the slots would move to the node they come from");
}

/* `reset <nodes> [soft|hard]` (CLUSTER RESET's default is soft). */
static void parse_reset(parser *p, rc_action *a)
{
    a->nodes = scn_parse_nodes(p, 0);
    if (p->failed || scn_peek(p)->kind == T_END)
        return;
    const token *t = scn_advance(p);
    if (scn_tok_is(p, t, "hard"))
        a->arg = 1;
    else if (!scn_tok_is(p, t, "soft"))
        scn_fail(p, t, "expected 'soft' or 'hard', got %s", scn_quote(p, t));
}

/* `drop-packets <nodes> <type>|none`: the message type by its name in
 * CLUSTER INFO (ping, pong, meet, fail, publish, auth-req, auth-ack, update,
 * mfstart, module, publishshard). */
static void parse_drop(parser *p, rc_action *a)
{
    a->nodes = scn_parse_nodes(p, 0);
    if (p->failed)
        return;
    const token *t = scn_advance(p);
    a->arg = -2;
    if (scn_tok_is(p, t, "none"))
        a->arg = -1;
    for (int type = 0; type < RC_MSG_TYPES && a->arg == -2; type++)
        if (scn_tok_is(p, t, rc_msg_type_name(type)))
            a->arg = type;
    if (a->arg == -2)
        scn_fail(p, t, "expected a message type (ping, pong, meet, fail, publish, auth-req, "
                 "auth-ack, update, mfstart, module, publishshard) or 'none', got %s",
                 scn_quote(p, t));
}

/* `note <text...>`: the rest of the statement, as written. */
static void parse_note(parser *p, rc_action *a, const token *kw)
{
    const token *t = scn_peek(p);
    if (t->kind == T_END) {
        scn_fail(p, kw, "'note' needs a text");
        return;
    }
    a->note = g_strndup(scn_tok_text(p, t), (gsize)(p->st->len - t->off));
    scn_skip_rest(p);
}

/* The arguments of the action named by `kw` (already consumed). */
static void action_args(parser *p, rc_action *a, const token *kw)
{
    switch (a->kind) {
    case RC_ACT_STOP: case RC_ACT_CONT: case RC_ACT_KILL: case RC_ACT_RESTART:
    case RC_ACT_ISOLATE: case RC_ACT_SNAPSHOT:
        a->nodes = scn_parse_nodes(p, 0);
        break;
    case RC_ACT_PARTITION: case RC_ACT_HEAL:
        parse_groups(p, a, kw);
        break;
    case RC_ACT_CUT:
        parse_cut(p, a);
        break;
    case RC_ACT_LATENCY:
        a->nodes = scn_parse_nodes(p, 0);
        if (!p->failed)
            scn_parse_dist(p, &a->dist);
        break;
    case RC_ACT_LOSS:
        a->nodes = scn_parse_nodes(p, 0);
        if (!p->failed)
            scn_parse_percent(p, &a->loss);
        break;
    case RC_ACT_FAILOVER:
        parse_failover(p, a);
        break;
    case RC_ACT_REPLICATE:
        a->node = scn_parse_node(p, NULL);
        if (!p->failed)
            a->target = scn_parse_node(p, NULL);
        break;
    case RC_ACT_NOTE:
        parse_note(p, a, kw);
        break;
    case RC_ACT_MEET: case RC_ACT_FORGET:
        a->nodes = scn_parse_nodes(p, 0);
        if (!p->failed)
            a->target = scn_parse_node(p, NULL);
        break;
    case RC_ACT_RESET:
        parse_reset(p, a);
        break;
    case RC_ACT_BUMPEPOCH:
        a->nodes = scn_parse_nodes(p, 0);
        break;
    case RC_ACT_DROP:
        parse_drop(p, a);
        break;
    case RC_ACT_MOVE_SLOTS:
        parse_move_slots(p, a);
        break;
    case RC_ACT_ADDSLOTS: case RC_ACT_DELSLOTS:
        a->node = scn_parse_node(p, NULL);
        if (!p->failed)
            scn_parse_slot_range(p, &a->slot_lo, &a->slot_hi);
        break;
    case RC_ACT_SET:
        a->nodes = scn_parse_nodes(p, 0);
        if (!p->failed)
            a->settings = scn_parse_settings(p, "set", &a->n_settings);
        break;
    }
}

/* Parses `every <period> until <time>` (the `every` is consumed); `first` is
 * the first execution time, or -1 for "one period from 0". */
static void parse_every(parser *p, rc_action *a, const token *kw, rc_time first)
{
    rc_time period = 0, until = 0;
    bool ok = scn_parse_duration(p, &period);
    if (ok && period <= 0)
        scn_bad(p, scn_previous(p), "the period of 'every' must be greater than 0");
    if (p->failed)
        return;
    if (!scn_accept_word(p, "until")) {
        scn_fail(p, scn_peek(p), "expected 'until <time>' after the period, got %s",
                 scn_quote(p, scn_peek(p)));
        return;
    }
    if (!scn_parse_time(p, &until))
        return;
    a->period = period;
    a->at = first >= 0 ? first : period;
    a->until = until;
    if (ok && period > 0 && until < a->at)
        scn_bad(p, scn_previous(p), "'until' must not be before the first execution");
}

/* The action keyword and its arguments; stores the action when it parsed. */
static void parse_action_tail(parser *p, rc_action *a, const token *stmt_kw)
{
    const token *kw = scn_advance(p);
    int kind = -1;
    for (int i = 0; i < (int)G_N_ELEMENTS(action_names); i++)
        if (scn_tok_is(p, kw, action_names[i]))
            kind = i;
    if (kind < 0) {
        scn_fail(p, kw, "unknown action %s (expected stop, cont, kill, restart, "
                 "partition, cut, isolate, heal, latency, loss, failover, replicate, "
                 "note, set, snapshot, meet, forget, reset, bumpepoch, drop-packets, move-slots, "
                 "addslots, delslots or every)",
                 scn_quote(p, kw));
        return;
    }
    a->kind = (rc_action_kind)kind;
    action_args(p, a, kw);
    scn_expect_end(p);
}

/* Starts an action record for the current statement. */
static void action_init(parser *p, rc_action *a, const token *kw)
{
    memset(a, 0, sizeof *a);
    a->node = a->target = -1;
    a->line = kw->line;
    a->column = kw->col;
    if (!p->first_at_line)
        p->first_at_line = kw->line;
    p->in_action = true;
}

/* Stores a parsed action, or frees it after a syntax error. */
static void action_finish(parser *p, rc_action *a)
{
    p->in_action = false;
    if (p->failed) {
        scn_action_clear(a);
        return;
    }
    a->text = g_strndup(p->st->text, (gsize)p->st->len);
    g_array_append_val(p->actions, *a);
}

/* `at <time> [every <period> until <time>] <action>`. */
void scn_parse_at(parser *p, const token *kw)
{
    rc_action a;
    action_init(p, &a, kw);
    scn_parse_time(p, &a.at);
    a.until = a.at;
    if (!p->failed && scn_peek(p)->kind == T_WORD && scn_tok_is(p, scn_peek(p), "every")) {
        scn_advance(p);
        parse_every(p, &a, kw, a.at);
    }
    if (!p->failed)
        parse_action_tail(p, &a, kw);
    action_finish(p, &a);
}

/* `every <period> until <time> <action>` (first execution at one period). */
void scn_parse_every_stmt(parser *p, const token *kw)
{
    rc_action a;
    action_init(p, &a, kw);
    parse_every(p, &a, kw, -1);
    if (!p->failed)
        parse_action_tail(p, &a, kw);
    action_finish(p, &a);
}

/* The first `lost` leaf of a predicate, or NULL: write losses are known only
 * once the run is over, too late to act on. */
static const rc_pred *find_lost(const rc_pred *e)
{
    if (!e || e->kind == RC_PRED_LOST)
        return e;
    for (int i = 0; i < e->n_args; i++) {
        const rc_pred *x = find_lost(e->args[i]);
        if (x)
            return x;
    }
    return NULL;
}

/* `when <predicate> [+ <delay>] <action>` (`repeat`: `whenever`). The
 * predicate comes first, so that `winner` is allowed only in the action. */
void scn_parse_when(parser *p, const token *kw, bool repeat)
{
    rc_trigger tr;
    memset(&tr, 0, sizeof tr);
    tr.repeat = repeat;
    tr.line = kw->line;
    tr.column = kw->col;
    tr.when = scn_parse_predicate(p);
    const rc_pred *lost = p->failed ? NULL : find_lost(tr.when);
    if (lost) {
        token t = {.line = lost->line, .col = lost->column};
        scn_bad(p, &t, "'lost' cannot start an action: lost writes are known only at the end "
                "of the run");
    }
    if (!p->failed && !scn_parse_delay(p, &tr.delay)) {
        /* The action's words would only add confusing errors. */
        scn_skip_rest(p);
        scn_trigger_clear(&tr);
        return;
    }
    action_init(p, &tr.action, kw);
    if (!p->failed && scn_peek(p)->kind == T_END)
        scn_fail(p, scn_peek(p), "expected an action after the condition of %s, got end "
                 "of line", scn_quote(p, kw));
    if (!p->failed)
        parse_action_tail(p, &tr.action, kw);
    p->in_action = false;
    if (p->failed) {
        scn_trigger_clear(&tr);
        return;
    }
    tr.text = g_strndup(p->st->text, (gsize)p->st->len);
    tr.action.text = g_strdup(tr.text);
    g_array_append_val(p->triggers, tr);
}
