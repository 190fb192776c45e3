/* Text in, fitness out: parse, check, JIT-compile, train, score. Runs in
 * the worker processes, each with its own JIT session. */
#include "search/proxy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/jit.h"
#include "compiler/sema.h"
#include "grammar/parse.h"

typedef struct ProxyCtx {
    const EvoProxy *p;
    Jit *jit;
} ProxyCtx;

static void *proxy_open(void *arg, char *err, size_t errlen)
{
    ProxyCtx *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->p = arg;
    c->jit = jit_new(err, errlen);
    if (!c->jit) {
        free(c);
        return NULL;
    }
    return c;
}

static void proxy_close(void *ctx)
{
    ProxyCtx *c = ctx;
    jit_free(c->jit);
    free(c);
}

static double proxy_eval(void *ctx, const char *text)
{
    ProxyCtx *c = ctx;
    Arena a;
    arena_init(&a);

    double fitness = 0;
    Rule *r = parse_checked(&a, "<candidate>", text, strlen(text), NULL, NULL);
    if (!r)
        goto done;

    char err[256];
    JitRule *jr = jit_compile(c->jit, r, err, sizeof err);
    if (!jr)
        goto done;
    float hp[SEMA_MAX_PARAMS + 1];
    for (int i = 0; i < r->nparams && i < SEMA_MAX_PARAMS; i++)
        hp[i] = (float)r->params[i].value;
    Optimizer opt = {jit_fn(jr), r->nstates, hp,
                     r->lr_param >= 0 ? hp[r->lr_param] : 1.0f};
    TrainResult res;
    if (train_run(c->p->ds, &opt, &c->p->train, &res, err, sizeof err) == 0 &&
        !res.diverged && isfinite(res.val_acc))
        fitness = res.val_acc;
    jit_release(c->jit, jr);

done:
    arena_free(&a);
    return fitness;
}

void evo_proxy_task(EvoProxy *p, const Dataset *ds, uint64_t seed, EvoTask *t)
{
    p->ds = ds;
    p->train = train_proxy_config();
    p->train.seed = seed;
    snprintf(p->desc, sizeof p->desc,
             "%d-%d-%d MLP, %d steps of %d, %s lr, %d val images, "
             "seed %llu",
             ds->dim, p->train.hidden[0], ds->nclass, p->train.steps,
             p->train.batch, train_schedule_name(p->train.schedule), ds->val.n,
             (unsigned long long)seed);
    *t = (EvoTask){.name = p->desc,
                   .open = proxy_open,
                   .eval = proxy_eval,
                   .close = proxy_close,
                   .arg = p};
}
