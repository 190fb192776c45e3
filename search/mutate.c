/* Random edits of a rule's AST. Every choice draws from the caller's Rng,
 * so a seed fixes the sequence of mutants. */
#include "search/mutate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/sema.h"

enum { MAX_TRIES = 64, MAX_NAMES = 128 };

/* Names an expression may read at one point of the rule. */
typedef struct Names {
    int n;
    const char *name[MAX_NAMES];
} Names;

const char *evo_mut_name(MutKind k)
{
    switch (k) {
    case MUT_NONE:
        return "copy";
    case MUT_INSERT:
        return "insert";
    case MUT_DELETE:
        return "delete";
    case MUT_MODIFY:
        return "modify";
    case MUT__COUNT:
        break;
    }
    unreachable();
}

static bool is_state(const Rule *r, const char *name)
{
    for (int i = 0; i < r->nstates; i++)
        if (!strcmp(r->states[i].name, name))
            return true;
    return false;
}

static bool has_param(const Rule *r, const char *name)
{
    for (int i = 0; i < r->nparams; i++)
        if (!strcmp(r->params[i].name, name))
            return true;
    return false;
}

static void names_add(Names *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->name[i], name))
            return;
    if (s->n < MAX_NAMES)
        s->name[s->n++] = name;
}

/* What an expression in statement `pos` (nstmts: the return) may read:
 * the inputs, the hyperparameters, every state (its previous value at
 * worst) and the locals assigned before pos. */
static void readable(const Rule *r, int pos, Names *s)
{
    s->n = 0;
    names_add(s, "w");
    names_add(s, "g");
    names_add(s, "step");
    for (int i = 0; i < r->nparams; i++)
        names_add(s, r->params[i].name);
    for (int i = 0; i < r->nstates; i++)
        names_add(s, r->states[i].name);
    for (int i = 0; i < pos && i < r->nstmts; i++)
        names_add(s, r->stmts[i].target);
}

/* x rounded to 4 significant digits (readable output), clipped and kept
 * finite. */
static double tidy_const(double x)
{
    if (!isfinite(x))
        x = x > 0 ? EVO_MAX_CONST : (x < 0 ? -EVO_MAX_CONST : 0);
    if (x > EVO_MAX_CONST)
        x = EVO_MAX_CONST;
    if (x < -EVO_MAX_CONST)
        x = -EVO_MAX_CONST;

    char buf[32];
    snprintf(buf, sizeof buf, "%.4g", x);
    double y = strtod(buf, NULL);
    return isfinite(y) && fabs(y) <= EVO_MAX_CONST ? y : x;
}

static double random_const(Rng *rng)
{
    return tidy_const(rng_normal(rng));
}

/* Resample from N(0,1), or scale by 2^a with a ~ N(0,1). */
static double perturb_const(Rng *rng, double x)
{
    if (rng_below(rng, 2) == 0)
        return random_const(rng);
    return tidy_const(x * exp2(rng_normal(rng)));
}

/* A variable readable at `pos` or (one time in four) a constant. */
static Node *random_leaf(Arena *a, const Rule *r, int pos, Rng *rng)
{
    Names s;
    readable(r, pos, &s);
    if (rng_below(rng, 4) == 0)
        return ast_num(a, random_const(rng));
    return ast_var(a, s.name[rng_below(rng, (uint64_t)s.n)]);
}

/* A local name used nowhere in the rule. */
static const char *fresh_local(Arena *a, const Rule *r)
{
    char buf[32];
    for (int k = 1;; k++) {
        snprintf(buf, sizeof buf, "t%d", k);
        bool used = is_state(r, buf) || has_param(r, buf);
        for (int i = 0; i < r->nstmts && !used; i++)
            used = !strcmp(r->stmts[i].target, buf);
        if (!used)
            return arena_strdup(a, buf);
    }
}

static bool mutate_insert(Arena *a, Rule *r, Rng *rng)
{
    if (r->nstmts >= EVO_MAX_STMTS)
        return false;
    int pos = (int)rng_below(rng, (uint64_t)r->nstmts + 1);

    FnKind fn = (FnKind)rng_below(rng, FN__COUNT);
    int nargs = fn_info[fn].arity;
    Node *args[3];
    for (int i = 0; i < nargs; i++)
        args[i] = random_leaf(a, r, pos, rng);
    Node *value = ast_call(a, fn, nargs, args);

    /* The target: a new local, or a state or local already there. */
    Names t = {0};
    for (int i = 0; i < r->nstates; i++)
        names_add(&t, r->states[i].name);
    for (int i = 0; i < r->nstmts; i++)
        names_add(&t, r->stmts[i].target);
    const char *target;
    if (t.n == 0 || rng_below(rng, 3) == 0)
        target = fresh_local(a, r);
    else
        target = arena_strdup(a, t.name[rng_below(rng, (uint64_t)t.n)]);

    Stmt *stmts = arena_alloc(a, sizeof(Stmt) * ((size_t)r->nstmts + 2));
    /* A rule with no statements has stmts == NULL, which memcpy must not
     * see even for zero bytes. */
    if (r->nstmts > 0) {
        memcpy(stmts, r->stmts, sizeof(Stmt) * (size_t)pos);
        memcpy(stmts + pos + 1, r->stmts + pos,
               sizeof(Stmt) * (size_t)(r->nstmts - pos));
    }
    stmts[pos] = (Stmt){.target = target, .value = value};
    r->stmts = stmts;
    r->nstmts++;
    return true;
}

static bool mutate_delete(Rule *r, Rng *rng)
{
    if (r->nstmts == 0)
        return false;
    int k = (int)rng_below(rng, (uint64_t)r->nstmts);
    memmove(r->stmts + k, r->stmts + k + 1,
            sizeof(Stmt) * (size_t)(r->nstmts - k - 1));
    r->nstmts--;
    return true;
}

/* Every node of the rule as the address of the pointer to it, with the
 * statement it belongs to (nstmts: the return). */
typedef struct Slots {
    int n, cap;
    Node ***at;
    int *stmt;
} Slots;

static void slots_add(Slots *s, Node **at, int stmt)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->at = realloc(s->at, sizeof *s->at * (size_t)s->cap);
        s->stmt = realloc(s->stmt, sizeof *s->stmt * (size_t)s->cap);
        if (!s->at || !s->stmt)
            abort();
    }
    s->at[s->n] = at;
    s->stmt[s->n++] = stmt;
}

static void slots_walk(Slots *s, Node **at, int stmt)
{
    slots_add(s, at, stmt);
    if ((*at)->kind == ND_CALL)
        for (int i = 0; i < (*at)->nargs; i++)
            slots_walk(s, &(*at)->args[i], stmt);
}

/* Another function of the same arity, or FN_NONE if there is none. */
static FnKind other_fn(FnKind fn, Rng *rng)
{
    FnKind same[FN__COUNT];
    int n = 0;
    for (int i = 0; i < FN__COUNT; i++)
        if (i != (int)fn && fn_info[i].arity == fn_info[fn].arity)
            same[n++] = (FnKind)i;
    return n ? same[rng_below(rng, (uint64_t)n)] : FN_NONE;
}

static void modify_node(Arena *a, Rule *r, Node **at, int pos, Rng *rng)
{
    Node *n = *at;
    switch (n->kind) {
    case ND_NUM:
        if (rng_below(rng, 4) != 0)
            *at = ast_num(a, perturb_const(rng, n->num));
        else
            *at = random_leaf(a, r, pos, rng);
        return;
    case ND_VAR:
        *at = random_leaf(a, r, pos, rng);
        return;
    case ND_CALL: {
        FnKind fn = rng_below(rng, 2) ? other_fn(n->fn, rng) : FN_NONE;
        if (fn != FN_NONE) {
            *at = ast_call(a, fn, n->nargs, n->args);
            return;
        }
        Node *c = ast_call(a, n->fn, n->nargs, n->args);
        int k = (int)rng_below(rng, (uint64_t)n->nargs);
        c->args[k] = random_leaf(a, r, pos, rng);
        *at = c;
        return;
    }
    }
    unreachable();
}

static bool mutate_modify(Arena *a, Rule *r, Rng *rng)
{
    Slots s = {0};
    for (int i = 0; i < r->nstmts; i++)
        slots_walk(&s, &r->stmts[i].value, i);
    slots_walk(&s, &r->ret, r->nstmts);

    /* Header defaults are constants too, so lr can evolve. */
    uint64_t k = rng_below(rng, (uint64_t)(s.n + r->nparams));
    if (k >= (uint64_t)s.n) {
        Param *p = &r->params[k - (uint64_t)s.n];
        p->value = perturb_const(rng, p->value);
    } else {
        modify_node(a, r, s.at[k], s.stmt[k], rng);
    }
    free(s.at);
    free(s.stmt);
    return true;
}

bool evo_mutate(Arena *a, Rule *r, Rng *rng, MutKind k)
{
    switch (k) {
    case MUT_INSERT:
        return mutate_insert(a, r, rng);
    case MUT_DELETE:
        return mutate_delete(r, rng);
    case MUT_MODIFY:
        return mutate_modify(a, r, rng);
    case MUT_NONE:
        return true;
    case MUT__COUNT:
        break;
    }
    unreachable();
}

static bool node_ok(const Node *n)
{
    if (n->kind == ND_NUM)
        return isfinite(n->num) && fabs(n->num) <= EVO_MAX_CONST;
    if (n->kind == ND_CALL)
        for (int i = 0; i < n->nargs; i++)
            if (!node_ok(n->args[i]))
                return false;
    return true;
}

bool evo_within_limits(const Rule *r)
{
    if (r->nstmts > EVO_MAX_STMTS || !r->ret)
        return false;
    for (int i = 0; i < r->nparams; i++)
        if (!isfinite(r->params[i].value) ||
            fabs(r->params[i].value) > EVO_MAX_CONST)
            return false;
    for (int i = 0; i < r->nstmts; i++)
        if (ast_count(r->stmts[i].value) > EVO_MAX_EXPR ||
            !node_ok(r->stmts[i].value))
            return false;
    return ast_count(r->ret) <= EVO_MAX_EXPR && node_ok(r->ret);
}

Rule *evo_mutant(Arena *a, const Rule *parent, Rng *rng, MutKind *kind,
                 int *rejected)
{
    int nrej = 0;
    MutKind k = (MutKind)rng_below(rng, MUT__COUNT);
    for (int t = 0; t < MAX_TRIES; t++) {
        /* A kind that keeps failing (deleting the only definition of a
         * local, say) gives way to a fresh draw after a few tries. */
        if (t > 0 && t % 8 == 0)
            k = (MutKind)rng_below(rng, MUT__COUNT);

        Rule *c = ast_clone(a, parent);
        if (!evo_mutate(a, c, rng, k))
            continue;
        Diag d;
        diag_init(&d, NULL, NULL);
        if (!evo_within_limits(c) || !sema_check(c, &d) || d.nerrors) {
            nrej++;
            continue;
        }
        *kind = k;
        if (rejected)
            *rejected = nrej;
        return c;
    }
    if (rejected)
        *rejected = nrej;
    return NULL;
}
