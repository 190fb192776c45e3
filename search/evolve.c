/* The search loop. Children are made in batches of EVO_BATCH from one
 * population state, each with its own Rng seeded by (seed, child id), and
 * their results are applied in id order: a seed fixes the run whatever
 * the number of workers (but a --time limit stops it where it stops). */
#include "search/evolve.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compiler/print.h"
#include "compiler/sema.h"
#include "runtime/rng.h"
#include "search/cache.h"
#include "search/canon.h"
#include "search/mutate.h"

enum { HIT_NONE, HIT_TEXT, HIT_HASH, HIT_BATCH };

static const char *const hit_names[] = {NULL, "text", "hash", "batch"};

/* A member of the population; owns its arena. */
typedef struct Member {
    Arena arena;
    Rule *rule;
    double fitness;
    long id;
    const char *origin; /* the warm rule it descends from */
} Member;

/* A child on its way through the cache and the workers. */
typedef struct Cand {
    Arena arena;
    Rule *rule, *pruned;
    long id, parent;
    MutKind kind;
    const char *origin;
    uint64_t tkey, fkey;
    int hit, dup_of, crashed;
    double fitness, secs;
} Cand;

/* One of the best distinct rules seen (distinct by functional hash). */
typedef struct Top {
    Arena arena;
    Rule *rule; /* pruned */
    double fitness;
    long id, parent;
    uint64_t fkey;
    const char *origin, *mutation;
} Top;

typedef struct Search {
    const EvoConfig *cfg;
    const EvoTask *task;
    EvoPool *pool;
    EvoCache cache;
    Member *pop; /* ring of cfg->population; pop[head] is the oldest */
    int head, count;
    Top *top;
    int ntop;
    long next_id, children, since_checkpoint;
    EvoResult res;
    FILE *log;
    double t0;
    bool simplifying;
    bool stop_seen;        /* a stop signal came before simplifying */
    double simplify_until; /* deadline of the simplification */
    char *err;
    size_t errlen;
} Search;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double evo_simplify_seconds(const EvoConfig *c)
{
    double t = c->seconds > 0 ? 0.1 * c->seconds : EVO_SIMPLIFY_MAX;
    return t < EVO_SIMPLIFY_MAX ? t : EVO_SIMPLIFY_MAX;
}

EvoConfig evo_default_config(void)
{
    return (EvoConfig){
        .population = 64,
        .tournament = 8,
        .budget = 0,
        .seconds = 180,
        .seed = 0,
        .workers = 2,
        .topk = 10,
        .checkpoint = 50,
        /* The proxy takes a fraction of a second; a rule 100 times slower
         * is of no use, and must not hold the search up. */
        .eval_timeout = 30,
        .proxy = "fitness",
    };
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Writes `text` to dir/name through a temporary file and a rename, so a
 * reader (or an interrupted run) never sees half a file. */
static int write_atomic(Search *s, const char *name, const char *text)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", s->cfg->out_dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", s->cfg->out_dir, name);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0;
    int err = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        /* The previous dir/name, if any, is untouched. */
        if (f)
            unlink(tmp);
        snprintf(s->err, s->errlen, "cannot write '%s': %s", path,
                 strerror(err));
        return -1;
    }
    return 0;
}

/* Flushes log.jsonl: lines written since the last flush may have failed
 * (a full disk), which the stream remembers. 0, or -1 with a message. */
static int flush_log(Search *s)
{
    if (!s->log)
        return 0;
    errno = 0;
    if (fflush(s->log) == 0 && !ferror(s->log))
        return 0;
    snprintf(s->err, s->errlen, "cannot write '%s/log.jsonl': %s",
             s->cfg->out_dir, errno ? strerror(errno) : "write error");
    return -1;
}

/* The rule's text with a doc comment giving its fitness and origin;
 * malloc'ed. */
static char *rule_text(Search *s, const Rule *r, double fitness, long id,
                       const char *how)
{
    Arena a;
    arena_init(&a);
    Rule *c = ast_clone(&a, r);
    char name[64], doc[1024];
    snprintf(name, sizeof name, "evolved_%ld", id);
    snprintf(doc, sizeof doc,
             "# Evolved by symopt evolve: fitness %.4f (validation "
             "accuracy)\n# proxy: %s\n# seed %llu; %s",
             fitness, s->cfg->proxy, (unsigned long long)s->cfg->seed, how);
    c->name = name;
    c->doc = doc;
    char *text = print_rule(c);
    arena_free(&a);
    return text;
}

static void top_how(const Top *t, char *buf, size_t n)
{
    if (t->parent < 0)
        snprintf(buf, n, "%s of the warm start %s", t->mutation, t->origin);
    else
        snprintf(buf, n, "child %ld of %ld by %s; warm start %s", t->id,
                 t->parent, t->mutation, t->origin);
}

static int write_summary(Search *s, const char *status)
{
    const EvoConfig *c = s->cfg;
    const EvoResult *r = &s->res;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f,
            "{\"status\": \"%s\", \"seed\": %llu, \"population\": %d, "
            "\"tournament\": %d, \"budget\": %ld, \"time_limit\": %g, "
            "\"workers\": %d, \"batch\": %d, \"proxy\": ",
            status, (unsigned long long)c->seed, c->population, c->tournament,
            c->budget, c->seconds, c->workers, EVO_BATCH);
    json_str(f, c->proxy);
    fprintf(f, ", \"out\": ");
    json_str(f, c->out_dir);
    fprintf(f,
            ", \"evaluated\": %ld, \"trained\": %ld, \"cache_hits\": %ld, "
            "\"hit_rate\": %.4f, \"rejected\": %ld, \"crashes\": %ld, "
            "\"seconds\": %.2f",
            r->evaluated, r->trained, r->cache_hits,
            r->evaluated ? (double)r->cache_hits / (double)r->evaluated : 0,
            r->rejected, r->crashes, now() - s->t0);
    if (s->ntop) {
        fprintf(f,
                ", \"best_fitness\": %.6f, \"best_id\": %ld, "
                "\"best_fitness_unsimplified\": %.6f",
                r->best_fitness, r->best_id, s->top[0].fitness);
        fprintf(f, ", \"best_file\": ");
        json_str(f, "best.opt");
    }
    if (r->stopped_by) {
        fprintf(f, ", \"stopped_by\": ");
        json_str(f, r->stopped_by);
    }
    fputs("}\n", f);
    fclose(f);
    int rc = write_atomic(s, "summary.json", buf);
    free(buf);
    return rc;
}

/* best.opt (the best so far, unsimplified) and the ranks. */
static int write_ranks(Search *s)
{
    for (int i = 0; i < s->ntop; i++) {
        char how[512], name[32];
        top_how(&s->top[i], how, sizeof how);
        char *text =
            rule_text(s, s->top[i].rule, s->top[i].fitness, s->top[i].id, how);
        snprintf(name, sizeof name, "rank-%02d.opt", i + 1);
        int rc = text ? write_atomic(s, name, text) : -1;
        if (rc == 0 && i == 0)
            rc = write_atomic(s, "best.opt", text);
        free(text);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void log_cand(Search *s, const Cand *c, const char *mutation)
{
    if (!s->log)
        return;
    char *text = print_rule(c->rule);
    fprintf(s->log,
            "{\"id\": %ld, \"parent\": %ld, \"mutation\": \"%s\", "
            "\"fitness\": %.6f, \"cache_hit\": %s, \"cache\": ",
            c->id, c->parent, mutation, c->fitness, c->hit ? "true" : "false");
    if (c->hit)
        json_str(s->log, hit_names[c->hit]);
    else
        fputs("null", s->log);
    fprintf(s->log, ", \"crashed\": %s, \"seconds\": %.3f, \"text\": ",
            c->crashed ? "true" : "false", c->secs);
    json_str(s->log, text);
    fputs("}\n", s->log);
    free(text);
}

/* Keeps the best cfg->topk distinct rules, best first, ties by age. */
static void top_offer(Search *s, const Cand *c, const char *mutation)
{
    for (int i = 0; i < s->ntop; i++)
        if (s->top[i].fkey == c->fkey)
            return;
    int k = s->ntop;
    while (k > 0 && s->top[k - 1].fitness < c->fitness)
        k--;
    if (k >= s->cfg->topk)
        return;
    if (s->ntop == s->cfg->topk)
        arena_free(&s->top[--s->ntop].arena);
    memmove(s->top + k + 1, s->top + k, sizeof *s->top * (size_t)(s->ntop - k));
    s->ntop++;

    Top *t = &s->top[k];
    arena_init(&t->arena);
    t->rule = ast_clone(&t->arena, c->pruned);
    t->fitness = c->fitness;
    t->id = c->id;
    t->parent = c->parent;
    t->fkey = c->fkey;
    t->origin = c->origin;
    t->mutation = mutation;
}

/* Cache keys and lookups; 0 if the candidate needs training. */
static int prepare(Search *s, Cand *b, int i)
{
    Cand *c = &b[i];
    c->pruned = evo_prune(&c->arena, c->rule);
    if (!c->pruned) {
        /* Pruning a checked rule cannot break it; score it worst. */
        c->pruned = c->rule;
        c->fkey = evo_hash_str("unprunable") ^ (uint64_t)c->id;
        c->fitness = 0;
        return 1;
    }
    c->tkey = evo_text_key(c->pruned);
    c->fkey = evo_func_hash(c->pruned);

    if (evo_cache_get(&s->cache, c->tkey, &c->fitness)) {
        c->hit = HIT_TEXT;
        return 1;
    }
    if (evo_cache_get(&s->cache, c->fkey, &c->fitness)) {
        c->hit = HIT_HASH;
        return 1;
    }
    for (int j = 0; j < i; j++)
        if (b[j].fkey == c->fkey) {
            c->hit = HIT_BATCH;
            c->dup_of = j;
            return 1;
        }
    return 0;
}

/* Scores b[0..n-1] through the cache and the workers. */
static void score(Search *s, Cand *b, int n)
{
    const char *texts[EVO_BATCH * 2 + 16] = {0};
    char *owned[EVO_BATCH * 2 + 16];
    int job_of[EVO_BATCH * 2 + 16], njobs = 0;
    double fit[EVO_BATCH * 2 + 16], secs[EVO_BATCH * 2 + 16];
    int crashed[EVO_BATCH * 2 + 16];

    for (int i = 0; i < n; i++) {
        b[i].dup_of = -1;
        if (prepare(s, b, i))
            continue;
        owned[njobs] = print_rule(b[i].pruned);
        texts[njobs] = owned[njobs] ? owned[njobs] : "";
        job_of[njobs++] = i;
    }

    s->res.crashes += evo_pool_eval(s->pool, texts, njobs, fit, secs, crashed);
    for (int j = 0; j < njobs; j++) {
        Cand *c = &b[job_of[j]];
        free(owned[j]);
        c->secs = secs[j];
        if (crashed[j] == EVO_JOB_CANCELLED) {
            c->fitness = NAN; /* unscored: the search is stopping */
            continue;
        }
        c->fitness = isfinite(fit[j]) && fit[j] > 0 ? fit[j] : 0;
        c->crashed = crashed[j] == EVO_JOB_FAILED;
        evo_cache_put(&s->cache, c->tkey, c->fitness);
        evo_cache_put(&s->cache, c->fkey, c->fitness);
        s->res.trained++;
    }
    for (int i = 0; i < n; i++) {
        if (b[i].dup_of >= 0)
            b[i].fitness = b[b[i].dup_of].fitness;
        if (isnan(b[i].fitness))
            continue;
        if (b[i].hit)
            s->res.cache_hits++;
        s->res.evaluated++;
    }
}

static void progress(Search *s, bool final)
{
    if (!s->cfg->progress)
        return;
    EvoProgress p = {
        .evaluated = s->res.evaluated,
        .trained = s->res.trained,
        .cache_hits = s->res.cache_hits,
        .rejected = s->res.rejected,
        .crashes = s->res.crashes,
        .best = s->ntop ? s->top[0].fitness : 0,
        .seconds = now() - s->t0,
        .final = final,
    };
    s->cfg->progress(s->cfg->progress_ctx, &p);
}

/* Adds a scored child: it joins the population and the oldest retires. */
/* Adds a scored candidate to the log, the best list and the population;
 * an unscored one (cut short by a stop) is dropped. Returns whether it
 * was added. */
static bool admit(Search *s, Cand *c)
{
    if (isnan(c->fitness)) {
        arena_free(&c->arena);
        return false;
    }
    const char *mutation = evo_mut_name(c->kind);
    log_cand(s, c, mutation);
    top_offer(s, c, mutation);

    Member *m;
    if (s->count < s->cfg->population) {
        m = &s->pop[(s->head + s->count++) % s->cfg->population];
    } else {
        m = &s->pop[s->head];
        arena_free(&m->arena);
        s->head = (s->head + 1) % s->cfg->population;
    }
    /* The member takes over the candidate's arena. */
    m->arena = c->arena;
    m->rule = c->rule;
    m->fitness = c->fitness;
    m->id = c->id;
    m->origin = c->origin;
    arena_init(&c->arena);
    return true;
}

static void seed_child(const Search *s, long id, Rng *rng)
{
    rng_seed(rng, s->cfg->seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(id + 1)));
}

static void name_child(Cand *c)
{
    char name[64];
    snprintf(name, sizeof name, "evolved_%ld", c->id);
    c->rule->name = arena_strdup(&c->arena, name);
    c->rule->doc = NULL;
}

/* Mutant of `parent`, or an unmutated copy when no mutant passes. */
static void make_child(Search *s, Cand *c, const Rule *parent, Rng *rng,
                       bool mutate)
{
    arena_init(&c->arena);
    int rejected = 0;
    c->rule =
        mutate ? evo_mutant(&c->arena, parent, rng, &c->kind, &rejected) : NULL;
    s->res.rejected += rejected;
    if (!c->rule) {
        c->rule = ast_clone(&c->arena, parent);
        c->kind = MUT_NONE;
    }
    name_child(c);
}

static bool out_of_time(const Search *s)
{
    return s->cfg->seconds > 0 && now() - s->t0 >= s->cfg->seconds;
}

static bool aborted(const Search *s)
{
    return s->cfg->abort_now && *s->cfg->abort_now;
}

/* Whether the evaluations under way are to be cut short: by a stop (a
 * signal or the time limit) while searching, by a second signal while
 * simplifying. */
/* The simplification ends at its deadline, at a second signal, or at a
 * first one if the search itself was not stopped by a signal. */
static bool simplify_over(const Search *s)
{
    bool signal = s->cfg->stop && *s->cfg->stop;
    return aborted(s) || (signal && !s->stop_seen) ||
           now() >= s->simplify_until;
}

static bool cancelled(void *ctx)
{
    const Search *s = ctx;
    if (s->simplifying)
        return simplify_over(s);
    return (s->cfg->stop && *s->cfg->stop) || out_of_time(s);
}

static bool stopping(Search *s)
{
    if (s->cfg->stop && *s->cfg->stop) {
        s->res.stopped_by = "signal";
        return true;
    }
    if (out_of_time(s)) {
        s->res.stopped_by = "time";
        return true;
    }
    return false;
}

static int checkpoint(Search *s, long added)
{
    s->since_checkpoint += added;
    if (s->since_checkpoint < s->cfg->checkpoint)
        return 0;
    s->since_checkpoint = 0;
    s->res.best_fitness = s->ntop ? s->top[0].fitness : 0;
    s->res.best_id = s->ntop ? s->top[0].id : -1;
    /* The results first: a write that fails (a full disk) leaves the
     * previous checkpoint's files, and the search stops saying so. */
    if (write_ranks(s) < 0 || write_summary(s, "running") < 0 ||
        flush_log(s) < 0)
        return -1;
    return 0;
}

static int initial_population(Search *s, Rule *const *warm,
                              const char *const *origin, int nwarm)
{
    Cand b[EVO_BATCH];
    int P = s->cfg->population;
    for (int start = 0; start < P; start += EVO_BATCH) {
        if (stopping(s))
            return 0;
        int n = P - start < EVO_BATCH ? P - start : EVO_BATCH;
        for (int i = 0; i < n; i++) {
            Cand *c = &b[i];
            *c = (Cand){.id = s->next_id++, .parent = -1};
            int k = (start + i) % nwarm;
            Rng rng;
            seed_child(s, c->id, &rng);
            /* The warm rules themselves, then mutants of them. */
            make_child(s, c, warm[k], &rng, start + i >= nwarm);
            c->origin = origin[k];
        }
        score(s, b, n);
        long added = 0;
        for (int i = 0; i < n; i++)
            added += admit(s, &b[i]);
        progress(s, false);
        if (checkpoint(s, added) < 0)
            return -1;
    }
    return 0;
}

/* Tournament of T distinct members drawn with the child's Rng. */
static const Member *select_parent(Search *s, Rng *rng)
{
    int T = s->cfg->tournament < s->count ? s->cfg->tournament : s->count;
    int picked[1024], np = 0;
    const Member *best = NULL;
    while (np < T) {
        int k = (int)rng_below(rng, (uint64_t)s->count);
        bool seen = false;
        for (int j = 0; j < np && !seen; j++)
            seen = picked[j] == k;
        if (seen)
            continue;
        if (np < 1024)
            picked[np] = k;
        np++;
        const Member *m = &s->pop[(s->head + k) % s->cfg->population];
        if (!best || m->fitness > best->fitness)
            best = m;
    }
    return best;
}

static int evolve_loop(Search *s)
{
    Cand b[EVO_BATCH];
    while (s->count > 0) {
        if (stopping(s))
            return 0;
        long n = EVO_BATCH;
        if (s->cfg->budget > 0) {
            if (s->children >= s->cfg->budget) {
                s->res.stopped_by = "budget";
                return 0;
            }
            if (s->cfg->budget - s->children < n)
                n = s->cfg->budget - s->children;
        }
        for (int i = 0; i < n; i++) {
            Cand *c = &b[i];
            *c = (Cand){.id = s->next_id++};
            Rng rng;
            seed_child(s, c->id, &rng);
            const Member *p = select_parent(s, &rng);
            c->parent = p->id;
            c->origin = p->origin;
            make_child(s, c, p->rule, &rng, true);
        }
        score(s, b, (int)n);
        long added = 0;
        for (int i = 0; i < n; i++)
            added += admit(s, &b[i]);
        s->children += added;
        progress(s, false);
        if (checkpoint(s, added) < 0)
            return -1;
    }
    return 0;
}

/* Drops statements, one at a time, whose removal keeps the fitness
 * within EVO_NOISE of the best's; every trial is trained (or found in the
 * cache). Returns the simplified rule in `a` and its fitness. */
static Rule *simplify(Search *s, Arena *a, double *fitness, int *dropped,
                      bool *complete)
{
    const Top *best = &s->top[0];
    Rule *cur = ast_clone(a, best->rule);
    double floor = best->fitness - EVO_NOISE;
    *fitness = best->fitness;
    *dropped = 0;
    *complete = false;

    s->simplifying = true;
    s->stop_seen = s->cfg->stop && *s->cfg->stop;
    /* After a signal the user waits: a few seconds at most. */
    double budget = evo_simplify_seconds(s->cfg);
    if (s->stop_seen && budget > EVO_SIMPLIFY_AFTER_SIGNAL)
        budget = EVO_SIMPLIFY_AFTER_SIGNAL;
    s->simplify_until = now() + budget;
    while (cur->nstmts > 0 && !simplify_over(s)) {
        Cand b[EVO_MAX_STMTS];
        int n = 0;
        for (int k = 0; k < cur->nstmts && n < EVO_MAX_STMTS; k++) {
            Cand *c = &b[n];
            *c = (Cand){.id = s->next_id,
                        .parent = best->id,
                        .kind = MUT_DELETE,
                        .origin = best->origin};
            arena_init(&c->arena);
            c->rule = ast_clone(&c->arena, cur);
            memmove(c->rule->stmts + k, c->rule->stmts + k + 1,
                    sizeof(Stmt) * (size_t)(cur->nstmts - k - 1));
            c->rule->nstmts--;
            Diag d;
            diag_init(&d, NULL, NULL);
            if (!sema_check(c->rule, &d) || d.nerrors) {
                arena_free(&c->arena);
                continue;
            }
            s->next_id++;
            name_child(c);
            n++;
        }
        if (n == 0) {
            *complete = true; /* no statement can go */
            break;
        }
        score(s, b, n);

        int pick = -1;
        for (int i = 0; i < n; i++) {
            if (isnan(b[i].fitness))
                continue; /* cut short: deadline or signal */
            log_cand(s, &b[i], "simplify");
            if (b[i].fitness >= floor &&
                (pick < 0 || b[i].fitness > b[pick].fitness))
                pick = i;
        }
        if (pick >= 0) {
            cur = ast_clone(a, b[pick].pruned);
            *fitness = b[pick].fitness;
            (*dropped)++;
        }
        for (int i = 0; i < n; i++)
            arena_free(&b[i].arena);
        progress(s, false);
        if (pick < 0 && !simplify_over(s)) {
            *complete = true;
            break;
        }
    }
    *complete = *complete || (cur->nstmts == 0 && !simplify_over(s));
    s->simplifying = false;
    return cur;
}

static int finish(Search *s)
{
    if (flush_log(s) < 0)
        return -1;
    if (!s->ntop)
        return write_summary(s, "done");
    if (write_ranks(s) < 0)
        return -1;

    Arena a;
    arena_init(&a);
    double fit;
    int dropped;
    bool complete;
    Rule *best = simplify(s, &a, &fit, &dropped, &complete);

    char how[600], tail[700];
    top_how(&s->top[0], how, sizeof how);
    snprintf(tail, sizeof tail,
             "%s\n# %s: %d statement%s dropped (fitness %.4f before)", how,
             complete ? "simplified" : "simplification interrupted", dropped,
             dropped == 1 ? "" : "s", s->top[0].fitness);
    char *text = rule_text(s, best, fit, s->top[0].id, tail);
    int rc = text ? write_atomic(s, "best.opt", text) : -1;
    free(text);
    arena_free(&a);

    s->res.best_fitness = fit;
    s->res.best_fitness_unsimplified = s->top[0].fitness;
    s->res.best_id = s->top[0].id;
    if (rc == 0)
        rc = flush_log(s);
    progress(s, true);
    return rc < 0 ? -1 : write_summary(s, "done");
}

static void log_start(const Search *s, int nwarm, const char *const *origin)
{
    FILE *f = s->cfg->log;
    const EvoConfig *c = s->cfg;
    if (!f)
        return;
    fprintf(f, "symopt evolve: seed %llu, population %d, tournament %d, ",
            (unsigned long long)c->seed, c->population, c->tournament);
    if (c->budget > 0)
        fprintf(f, "budget %ld children", c->budget);
    else
        fprintf(f, "time %g s", c->seconds);
    fprintf(f, ", %d worker%s\n", c->workers, c->workers == 1 ? "" : "s");
    fprintf(f, "symopt evolve: proxy: %s\n", c->proxy);
    fputs("symopt evolve: warm start:", f);
    for (int i = 0; i < nwarm; i++)
        fprintf(f, " %s", origin[i]);
    fprintf(f,
            "\nsymopt evolve: children go in batches of %d, so results "
            "do not depend on the number of workers\n",
            EVO_BATCH);
    fprintf(f, "symopt evolve: results in %s\n", c->out_dir);
}

int evo_run(const EvoConfig *cfg, const EvoTask *task, Rule *const *warm,
            const char *const *origin, int nwarm, EvoResult *res, char *err,
            size_t errlen)
{
    Search s = {.cfg = cfg, .task = task, .err = err, .errlen = errlen};
    s.t0 = now();
    *res = (EvoResult){.best_id = -1};
    if (nwarm < 1 || cfg->population < 2 || cfg->tournament < 1 ||
        cfg->tournament > cfg->population || cfg->topk < 1) {
        snprintf(err, errlen, "bad search configuration");
        return -1;
    }

    char path[4096];
    snprintf(path, sizeof path, "%s/log.jsonl", cfg->out_dir);
    s.log = fopen(path, "a");
    if (!s.log) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    log_start(&s, nwarm, origin);

    s.pool = evo_pool_new(task, cfg->workers, err, errlen);
    if (!s.pool) {
        fclose(s.log);
        return -1;
    }
    if (cfg->eval_timeout > 0)
        evo_pool_set_timeout(s.pool, cfg->eval_timeout);
    evo_pool_set_cancel(s.pool, cancelled, &s);
    evo_cache_init(&s.cache);
    s.pop = calloc((size_t)cfg->population, sizeof *s.pop);
    s.top = calloc((size_t)cfg->topk + 1, sizeof *s.top);
    if (!s.pop || !s.top)
        abort();

    s.res.best_id = -1;
    int rc = initial_population(&s, warm, origin, nwarm);
    if (rc == 0)
        rc = evolve_loop(&s);
    if (rc == 0 && !s.res.stopped_by)
        stopping(&s); /* says why, if it was a signal or the time */
    if (rc == 0)
        rc = finish(&s);
    s.res.seconds = now() - s.t0;
    *res = s.res;

    evo_pool_free(s.pool);
    for (int i = 0; i < s.count; i++)
        arena_free(&s.pop[(s.head + i) % cfg->population].arena);
    for (int i = 0; i < s.ntop; i++)
        arena_free(&s.top[i].arena);
    free(s.pop);
    free(s.top);
    evo_cache_free(&s.cache);
    fclose(s.log);
    return rc;
}
