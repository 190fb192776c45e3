/* Mutations: every kind happens, produces checked rules within the limits
 * that round-trip through the printer and parser, keeps constants finite,
 * and is fixed by the seed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/print.h"
#include "compiler/sema.h"
#include "grammar/parse.h"
#include "search/mutate.h"
#include "tests/support.h"

static const char adamw[] =
    "rule paper_adamw(lr = 1) {\n"
    "    state m, v;\n"
    "    m = interp(g, m, 0.9);\n"
    "    v = interp(g * g, v, 0.999);\n"
    "    return (m / sqrt(v) + 0.01 * w) * (lr * 0.001);\n"
    "}\n";

static void assert_roundtrip(const Rule *r)
{
    char *text = print_rule(r);
    assert_non_null(text);
    Arena a;
    arena_init(&a);
    Rule *back = tu_rule(&a, text);
    assert_true(ast_equal(r, back));
    free(text);
    arena_free(&a);
}

static bool consts_finite(const Node *n)
{
    if (n->kind == ND_NUM)
        return isfinite(n->num) && fabs(n->num) <= 1e10;
    for (int i = 0; n->kind == ND_CALL && i < n->nargs; i++)
        if (!consts_finite(n->args[i]))
            return false;
    return true;
}

/* A chain of mutants: each kind shows up, every mutant passes the checks,
 * prints and parses back to itself, and stays finite and within limits. */
static void test_mutant_kinds_and_roundtrip(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rule *cur = tu_rule(&a, adamw);
    Rng rng;
    rng_seed(&rng, 7);
    int seen[MUT__COUNT] = {0};

    for (int i = 0; i < 600; i++) {
        MutKind k;
        Rule *c = evo_mutant(&a, cur, &rng, &k, NULL);
        assert_non_null(c);
        assert_true(k >= 0 && k < MUT__COUNT);
        seen[k]++;
        assert_true(evo_within_limits(c));
        assert_true(c->nstmts <= EVO_MAX_STMTS);
        for (int s = 0; s < c->nstmts; s++) {
            assert_true(consts_finite(c->stmts[s].value));
            assert_true(ast_count(c->stmts[s].value) <= EVO_MAX_EXPR);
        }
        assert_true(consts_finite(c->ret));
        for (int p = 0; p < c->nparams; p++)
            assert_true(isfinite(c->params[p].value));
        assert_roundtrip(c);
        /* Restart now and then so the chain does not drift too far. */
        cur = i % 25 == 24 ? tu_rule(&a, adamw) : c;
    }
    for (int k = 0; k < MUT__COUNT; k++)
        assert_true(seen[k] > 100);
    arena_free(&a);
}

/* Insert adds exactly one statement, delete removes one. */
static void test_mutate_insert_delete_counts(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rng rng;
    rng_seed(&rng, 3);
    for (int i = 0; i < 50; i++) {
        Rule *r = ast_clone(&a, tu_rule(&a, adamw));
        assert_true(evo_mutate(&a, r, &rng, MUT_INSERT));
        assert_int_equal(r->nstmts, 3);
        Diag d;
        diag_init(&d, NULL, NULL);
        /* An inserted statement only reads what is defined: it checks. */
        assert_true(sema_check(r, &d));
        assert_true(evo_mutate(&a, r, &rng, MUT_DELETE));
        assert_int_equal(r->nstmts, 2);
    }
    arena_free(&a);
}

/* Delete has nothing to do on a rule without statements; insert stops at
 * the statement limit. */
static void test_mutate_impossible(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rng rng;
    rng_seed(&rng, 1);
    Rule *r = tu_rule(&a, "rule sgd(lr = 0.1) {\n    return lr * g;\n}\n");
    assert_false(evo_mutate(&a, r, &rng, MUT_DELETE));
    for (int i = 0; i < EVO_MAX_STMTS; i++)
        assert_true(evo_mutate(&a, r, &rng, MUT_INSERT));
    assert_false(evo_mutate(&a, r, &rng, MUT_INSERT));
    arena_free(&a);
}

/* Scaling constants by 2^N(0,1) over and over never leaves +-1e10. */
static void test_mutate_constants_stay_finite(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rng rng;
    rng_seed(&rng, 11);
    Rule *r =
        tu_rule(&a, "rule big(lr = 5e9) {\n    return lr * 9e9 * g;\n}\n");
    for (int i = 0; i < 3000; i++) {
        assert_true(evo_mutate(&a, r, &rng, MUT_MODIFY));
        assert_true(evo_within_limits(r));
    }
    arena_free(&a);
}

static char *chain_text(uint64_t seed)
{
    Arena a;
    arena_init(&a);
    Rule *cur = tu_rule(&a, adamw);
    Rng rng;
    rng_seed(&rng, seed);
    for (int i = 0; i < 40; i++) {
        MutKind k;
        cur = evo_mutant(&a, cur, &rng, &k, NULL);
        assert_non_null(cur);
    }
    char *text = print_rule(cur);
    arena_free(&a);
    return text;
}

/* Same seed, same mutants; another seed, other mutants. */
static void test_mutant_deterministic(void **state)
{
    (void)state;
    char *x = chain_text(42), *y = chain_text(42), *z = chain_text(43);
    assert_string_equal(x, y);
    assert_string_not_equal(x, z);
    free(x);
    free(y);
    free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutant_kinds_and_roundtrip),
        cmocka_unit_test(test_mutate_insert_delete_counts),
        cmocka_unit_test(test_mutate_impossible),
        cmocka_unit_test(test_mutate_constants_stay_finite),
        cmocka_unit_test(test_mutant_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
