/* Liveness over statement names, pruning, and the two cache keys. */
#include "search/canon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/interp.h"
#include "compiler/print.h"
#include "compiler/sema.h"
#include "runtime/rng.h"

enum { MAX_LIVE = 256, HASH_N = 64, HASH_STEPS = 5 };

/* A small set of names (a rule has at most a few dozen). */
typedef struct NameSet {
    int n;
    const char *name[MAX_LIVE];
} NameSet;

static bool set_has(const NameSet *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->name[i], name))
            return true;
    return false;
}

static void set_add(NameSet *s, const char *name)
{
    if (!set_has(s, name) && s->n < MAX_LIVE)
        s->name[s->n++] = name;
}

static void set_del(NameSet *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->name[i], name)) {
            s->name[i] = s->name[--s->n];
            return;
        }
}

static void add_reads(NameSet *s, const Node *n)
{
    if (n->kind == ND_VAR)
        set_add(s, n->name);
    else if (n->kind == ND_CALL)
        for (int i = 0; i < n->nargs; i++)
            add_reads(s, n->args[i]);
}

static bool is_state(const Rule *r, const char *name)
{
    for (int i = 0; i < r->nstates; i++)
        if (!strcmp(r->states[i].name, name))
            return true;
    return false;
}

/* One backward pass with the states in `carried` live at the end of the
 * body; adds to `carried` the states read before being assigned. */
static int live_pass(const Rule *r, NameSet *carried, bool *live)
{
    NameSet s = *carried;
    add_reads(&s, r->ret);
    int nlive = 0;
    for (int i = r->nstmts - 1; i >= 0; i--) {
        const Stmt *st = &r->stmts[i];
        live[i] = set_has(&s, st->target);
        if (!live[i])
            continue;
        nlive++;
        set_del(&s, st->target);
        add_reads(&s, st->value);
    }
    for (int i = 0; i < s.n; i++)
        if (is_state(r, s.name[i]))
            set_add(carried, s.name[i]);
    return nlive;
}

int evo_live(const Rule *r, bool *live)
{
    /* A fixed point: carrying a state can make more statements live,
     * whose reads can carry more states. The set only grows. */
    NameSet carried = {0};
    for (;;) {
        int before = carried.n;
        int nlive = live_pass(r, &carried, live);
        if (carried.n == before)
            return nlive;
    }
}

static bool reads_name(const Node *n, const char *name)
{
    if (n->kind == ND_VAR)
        return !strcmp(n->name, name);
    if (n->kind == ND_CALL)
        for (int i = 0; i < n->nargs; i++)
            if (reads_name(n->args[i], name))
                return true;
    return false;
}

Rule *evo_prune(Arena *a, const Rule *r)
{
    bool *live = calloc((size_t)r->nstmts + 1, sizeof *live);
    if (!live)
        abort();
    evo_live(r, live);

    Rule *c = ast_clone(a, r);
    int k = 0;
    for (int i = 0; i < r->nstmts; i++)
        if (live[i])
            c->stmts[k++] = c->stmts[i];
    c->nstmts = k;
    free(live);

    /* Keep a state only if something left reads or writes it. */
    int ns = 0;
    for (int i = 0; i < c->nstates; i++) {
        const char *name = c->states[i].name;
        bool used = reads_name(c->ret, name);
        for (int j = 0; j < c->nstmts && !used; j++)
            used = !strcmp(c->stmts[j].target, name) ||
                   reads_name(c->stmts[j].value, name);
        if (used)
            c->states[ns++] = c->states[i];
    }
    c->nstates = ns;

    Diag d;
    diag_init(&d, NULL, NULL);
    if (!sema_check(c, &d) || d.nerrors)
        return NULL;
    return c;
}

/* Renames every read of `from` in n to `to`. */
static void rename_reads(Node *n, const char *from, const char *to)
{
    if (n->kind == ND_VAR && !strcmp(n->name, from))
        n->name = to;
    else if (n->kind == ND_CALL)
        for (int i = 0; i < n->nargs; i++)
            rename_reads(n->args[i], from, to);
}

uint64_t evo_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t evo_text_key(const Rule *pruned)
{
    Arena a;
    arena_init(&a);
    Rule *c = ast_clone(&a, pruned);
    c->name = "r";
    c->doc = NULL;

    /* Locals get names by order of first assignment; '$' cannot occur in
     * a real name, so no canonical name meets a parameter's. The text is
     * only hashed, never parsed. */
    int nloc = 0;
    for (int i = 0; i < c->nstmts; i++) {
        const char *t = c->stmts[i].target;
        if (is_state(c, t) || t[0] == '$')
            continue;
        char *to = arena_alloc(&a, 16);
        snprintf(to, 16, "$%d", nloc++);
        for (int j = i; j < c->nstmts; j++) {
            if (j > i)
                rename_reads(c->stmts[j].value, t, to);
            if (!strcmp(c->stmts[j].target, t))
                c->stmts[j].target = to;
        }
        rename_reads(c->ret, t, to);
    }

    char *text = print_rule(c);
    uint64_t h = evo_hash_str(text ? text : "");
    free(text);
    arena_free(&a);
    return h;
}

/* Fixed test inputs: a value of magnitude 1e-6 .. 1e2, either sign, and
 * now and then exactly 0. */
static float test_value(Rng *rng, int i)
{
    if (i % 8 == 0)
        return 0.0f;
    double mag = pow(10.0, -6.0 + 8.0 * rng_uniform(rng));
    return (float)(rng_below(rng, 2) ? mag : -mag);
}

static uint64_t mix(uint64_t h, uint32_t bits)
{
    h ^= bits;
    h *= 0x100000001b3ull;
    h ^= h >> 29;
    return h;
}

static uint64_t mix_floats(uint64_t h, const float *x, int n)
{
    for (int i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        if (isnan(x[i]))
            bits = 0x7fc00000u;
        h = mix(h, bits);
    }
    return h;
}

uint64_t evo_func_hash(const Rule *r)
{
    float w[HASH_N], g[HASH_N];
    float *states[64];
    float *store = calloc((size_t)(r->nstates + 1) * HASH_N, sizeof(float));
    float *hp = calloc((size_t)r->nparams + 1, sizeof(float));
    if (!store || !hp || r->nstates > 64)
        abort();
    for (int i = 0; i < r->nstates; i++)
        states[i] = store + (size_t)i * HASH_N;
    for (int i = 0; i < r->nparams; i++)
        hp[i] = (float)r->params[i].value;
    float lr = r->lr_param >= 0 ? hp[r->lr_param] : 1.0f;

    Rng rng;
    rng_seed(&rng, 0x5eed0fca7eULL);
    for (int i = 0; i < HASH_N; i++)
        w[i] = test_value(&rng, i + 3);

    uint64_t h = 0xcbf29ce484222325ull;
    for (int t = 1; t <= HASH_STEPS; t++) {
        for (int i = 0; i < HASH_N; i++)
            g[i] = test_value(&rng, i + t);
        interp_step(r, HASH_N, w, g, states, hp, lr, t);
        h = mix_floats(h, w, HASH_N);
        /* States too: a small change in a momentum may not show in w
         * within a few steps (behind a sign, say) and still matter. */
        for (int k = 0; k < r->nstates; k++)
            h = mix_floats(h, states[k], HASH_N);
    }
    free(store);
    free(hp);
    return h;
}
