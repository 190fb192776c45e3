/* Semantic checks: name resolution, assignment rules, arities, limits and
 * the scalar marking that lets the code generator hoist work out of the
 * per-element loop. Every error is reported; none stops the pass. */
#include "compiler/sema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Sema {
    Rule *r;
    Diag *d;
    const char **locals; /* names in slot order; room for nstmts */
    bool *local_scalar;  /* whether the local's current value is scalar */
    int nlocals;
    bool *state_used;
} Sema;

static bool is_builtin(const char *name)
{
    return !strcmp(name, "w") || !strcmp(name, "g") || !strcmp(name, "step");
}

bool sema_depth_exceeds(const Node *n, int limit)
{
    if (limit < 1)
        return true;
    if (n->kind == ND_CALL)
        for (int i = 0; i < n->nargs; i++)
            if (sema_depth_exceeds(n->args[i], limit - 1))
                return true;
    return false;
}

static int find_param(const Rule *r, const char *name)
{
    for (int i = 0; i < r->nparams; i++)
        if (!strcmp(r->params[i].name, name))
            return i;
    return -1;
}

static int find_state(const Rule *r, const char *name)
{
    for (int i = 0; i < r->nstates; i++)
        if (!strcmp(r->states[i].name, name))
            return i;
    return -1;
}

static int find_local(const Sema *s, const char *name)
{
    for (int i = 0; i < s->nlocals; i++)
        if (!strcmp(s->locals[i], name))
            return i;
    return -1;
}

/* Whether a statement after statement `from` assigns a local `name`. */
static bool assigned_later(const Rule *r, int from, const char *name)
{
    for (int i = from; i < r->nstmts; i++)
        if (!strcmp(r->stmts[i].target, name))
            return true;
    return false;
}

static void check_var(Sema *s, Node *n, int at_stmt)
{
    Rule *r = s->r;
    int k;

    n->scalar = false;
    if (!strcmp(n->name, "w")) {
        n->var = VK_W;
    } else if (!strcmp(n->name, "g")) {
        n->var = VK_G;
    } else if (!strcmp(n->name, "step")) {
        n->var = VK_STEP;
        n->scalar = true;
    } else if ((k = find_param(r, n->name)) >= 0) {
        n->var = k == r->lr_param ? VK_LR : VK_PARAM;
        n->slot = k;
        n->scalar = true;
    } else if ((k = find_state(r, n->name)) >= 0) {
        n->var = VK_STATE;
        n->slot = k;
        s->state_used[k] = true;
    } else if ((k = find_local(s, n->name)) >= 0) {
        n->var = VK_LOCAL;
        n->slot = k;
        n->scalar = s->local_scalar[k];
    } else if (assigned_later(r, at_stmt, n->name)) {
        diag_error(s->d, n->span, "'%s' is used before it is assigned",
                   n->name);
    } else if (!strcmp(n->name, "lr")) {
        diag_error(s->d, n->span, "undefined name 'lr' (declare it as a "
                                  "hyperparameter: rule %s(lr = ...))",
                   r->name);
    } else {
        diag_error(s->d, n->span, "undefined name '%s'", n->name);
    }
}

/* Resolves expression n, read by statement `at_stmt` (nstmts for the
 * return). Depth is bounded by the caller's check. */
static void check_expr(Sema *s, Node *n, int at_stmt)
{
    n->var = VK_UNRESOLVED;
    n->slot = -1;
    switch (n->kind) {
    case ND_NUM:
        n->scalar = true;
        /* Rules compute in float: a double beyond FLT_MAX would turn
         * into inf without a word. */
        if (!isfinite((float)n->num))
            diag_error(s->d, n->span, "constant %g is not a finite "
                                      "single-precision number", n->num);
        return;
    case ND_VAR:
        check_var(s, n, at_stmt);
        return;
    case ND_CALL:
        break;
    default:
        diag_error(s->d, n->span, "invalid node kind %d", (int)n->kind);
        return;
    }

    bool scalar = true;
    for (int i = 0; i < n->nargs; i++) {
        check_expr(s, n->args[i], at_stmt);
        scalar = scalar && n->args[i]->scalar;
    }
    n->scalar = scalar;
    if (n->fn == FN_NONE) {
        diag_error(s->d, n->span, "unknown function '%s'",
                   n->name ? n->name : "?");
        n->scalar = false;
        return;
    }
    if (n->fn < 0 || n->fn >= FN__COUNT) {
        diag_error(s->d, n->span, "invalid function number %d", (int)n->fn);
        n->scalar = false;
        return;
    }
    int want = fn_info[n->fn].arity;
    if (n->nargs != want)
        diag_error(s->d, n->span, "'%s' takes %d argument%s, got %d",
                   fn_info[n->fn].name, want, want == 1 ? "" : "s",
                   n->nargs);
}

/* Checks one expression, unless it is too deep to walk safely. */
static void check_value(Sema *s, Node *n, int at_stmt)
{
    if (sema_depth_exceeds(n, SEMA_MAX_DEPTH)) {
        diag_error(s->d, n->span,
                   "expression is nested more than %d levels deep",
                   SEMA_MAX_DEPTH);
        return;
    }
    check_expr(s, n, at_stmt);
}

static void check_params(Sema *s)
{
    Rule *r = s->r;
    r->lr_param = -1;
    for (int i = 0; i < r->nparams; i++) {
        Param *p = &r->params[i];
        int first = find_param(r, p->name);
        if (first < i) {
            diag_error(s->d, p->span, "hyperparameter '%s' is declared "
                                      "twice", p->name);
            diag_note(s->d, r->params[first].span, "first declared here");
        } else if (is_builtin(p->name)) {
            diag_error(s->d, p->span, "a hyperparameter cannot be named "
                                      "'%s', an input of every rule",
                       p->name);
        }
        if (!isfinite((float)p->value))
            diag_error(s->d, p->span, "default of '%s' is not a finite "
                                      "single-precision number", p->name);
        if (first == i && !strcmp(p->name, "lr"))
            r->lr_param = i;
    }
}

static void check_states(Sema *s)
{
    Rule *r = s->r;
    for (int i = 0; i < r->nstates; i++) {
        StateDecl *st = &r->states[i];
        int first = find_state(r, st->name);
        int p = find_param(r, st->name);
        /* A misnamed state is not also reported as unused. */
        s->state_used[i] = first < i || p >= 0 || is_builtin(st->name) ||
                           !strcmp(st->name, "lr");
        if (first < i) {
            diag_error(s->d, st->span, "state '%s' is declared twice",
                       st->name);
            diag_note(s->d, r->states[first].span, "first declared here");
        } else if (is_builtin(st->name) || !strcmp(st->name, "lr")) {
            diag_error(s->d, st->span, "a state cannot be named '%s', an "
                                       "input of every rule",
                       st->name);
        } else if (p >= 0) {
            diag_error(s->d, st->span, "state '%s' has the name of a "
                                       "hyperparameter", st->name);
            diag_note(s->d, r->params[p].span, "declared here");
        }
    }
}

/* Resolves the target of statement i after its value. */
static void check_target(Sema *s, int i)
{
    Rule *r = s->r;
    Stmt *st = &r->stmts[i];
    int k;

    st->tkind = VK_UNRESOLVED;
    st->tslot = -1;
    if (is_builtin(st->target) || (!strcmp(st->target, "lr") &&
                                   r->lr_param >= 0)) {
        diag_error(s->d, st->target_span, "cannot assign to input '%s'",
                   st->target);
    } else if (find_param(r, st->target) >= 0) {
        diag_error(s->d, st->target_span, "cannot assign to "
                                          "hyperparameter '%s'",
                   st->target);
    } else if ((k = find_state(r, st->target)) >= 0) {
        st->tkind = VK_STATE;
        st->tslot = k;
        s->state_used[k] = true;
    } else {
        k = find_local(s, st->target);
        if (k < 0) {
            k = s->nlocals++;
            s->locals[k] = st->target;
        }
        st->tkind = VK_LOCAL;
        st->tslot = k;
        s->local_scalar[k] = st->value->scalar;
    }
}

/* Publishes the locals on the rule, in its arena. */
static void set_locals(Sema *s)
{
    Rule *r = s->r;
    if (s->nlocals > 0 && !r->arena) {
        diag_error(s->d, r->span, "rule '%s' has no arena for its locals",
                   r->name);
        r->nlocals = 0;
        r->local_names = NULL;
        return;
    }
    r->nlocals = s->nlocals;
    r->local_names = r->arena
        ? arena_alloc(r->arena, sizeof(char *) * (size_t)(s->nlocals + 1))
        : NULL;
    for (int i = 0; i < s->nlocals; i++)
        r->local_names[i] = s->locals[i];
}

/* Reports every count over its limit. A rule over one is not checked
 * further: name lookups are linear, so checking it would take time
 * quadratic in the count. */
static bool over_limits(const Rule *r, Diag *d)
{
    int before = d->nerrors;
    if (r->nparams > SEMA_MAX_PARAMS)
        diag_error(d, r->span, "rule '%s' has %d hyperparameters; at "
                               "most %d are allowed",
                   r->name, r->nparams, SEMA_MAX_PARAMS);
    if (r->nstates > SEMA_MAX_STATES)
        diag_error(d, r->span, "rule '%s' has %d states; at most %d "
                               "are allowed",
                   r->name, r->nstates, SEMA_MAX_STATES);
    if (r->nstmts > SEMA_MAX_STMTS)
        diag_error(d, r->span, "rule '%s' has %d statements; at most %d "
                               "are allowed",
                   r->name, r->nstmts, SEMA_MAX_STMTS);
    return d->nerrors > before;
}

bool sema_check(Rule *r, Diag *d)
{
    int before = d->nerrors;
    if (over_limits(r, d)) {
        r->lr_param = -1;
        return false;
    }
    size_t ns = (size_t)r->nstmts + 1, nst = (size_t)r->nstates + 1;
    Sema s = {.r = r, .d = d};
    s.locals = calloc(ns, sizeof *s.locals);
    s.local_scalar = calloc(ns, sizeof *s.local_scalar);
    s.state_used = calloc(nst, sizeof *s.state_used);
    if (!s.locals || !s.local_scalar || !s.state_used)
        diag_internal(__FILE__, __LINE__, "out of memory");

    check_params(&s);
    check_states(&s);

    for (int i = 0; i < r->nstmts; i++) {
        check_value(&s, r->stmts[i].value, i);
        check_target(&s, i);
    }
    if (r->ret)
        check_value(&s, r->ret, r->nstmts);
    else
        diag_error(d, r->ret_span, "rule '%s' has no return", r->name);

    for (int i = 0; i < r->nstates; i++)
        if (!s.state_used[i])
            diag_error(d, r->states[i].span, "state '%s' is never used",
                       r->states[i].name);
    set_locals(&s);

    free(s.locals);
    free(s.local_scalar);
    free(s.state_used);
    return d->nerrors == before;
}
