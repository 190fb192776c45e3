/* The fitness cache's keys: dead code and renaming do not change a rule's
 * keys, real differences do, and a known algebraic equivalence (a + b vs
 * b + a) gets the same functional hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "compiler/sema.h"
#include "grammar/parse.h"
#include "search/cache.h"
#include "search/canon.h"
#include "tests/support.h"

static const char lion[] =
    "rule lion(lr = 1e-4, beta1 = 0.9, beta2 = 0.99, wd = 0.1) {\n"
    "    state m;\n"
    "    u = sign(interp(g, m, beta1));\n"
    "    m = interp(g, m, beta2);\n"
    "    return lr * (u + wd * w);\n"
    "}\n";

/* Lion with a dead local, a dead state and a statement the next step
 * overwrites (the paper's `m = cosh(update)` kind), locals renamed. */
static const char lion_dead[] =
    "rule other(lr = 1e-4, beta1 = 0.9, beta2 = 0.99, wd = 0.1) {\n"
    "    state m, junk;\n"
    "    dead = exp(g);\n"
    "    junk = dead + 1;\n"
    "    up = sign(interp(g, m, beta1));\n"
    "    m = interp(g, m, beta2);\n"
    "    z = cosh(up);\n"
    "    return lr * (up + wd * w);\n"
    "}\n";

static const char lion_tanh[] =
    "rule lion(lr = 1e-4, beta1 = 0.9, beta2 = 0.99, wd = 0.1) {\n"
    "    state m;\n"
    "    u = tanh(interp(g, m, beta1));\n"
    "    m = interp(g, m, beta2);\n"
    "    return lr * (u + wd * w);\n"
    "}\n";

static void test_live_marks_dead(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rule *r = tu_rule(&a, lion_dead);
    bool live[8];
    /* Hand analysis: dead, junk = ..., z = ... are dead; up and m live. */
    assert_int_equal(evo_live(r, live), 2);
    assert_false(live[0]);
    assert_false(live[1]);
    assert_true(live[2]);
    assert_true(live[3]);
    assert_false(live[4]);
    arena_free(&a);
}

/* A state written in one step and read in the next is live even though
 * nothing in the same step reads it after the write. */
static void test_live_state_across_steps(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rule *r = tu_rule(&a, "rule s(lr = 1) {\n    state m, n;\n"
                          "    u = m;\n    m = g;\n    n = g;\n"
                          "    return lr * u;\n}\n");
    bool live[3];
    assert_int_equal(evo_live(r, live), 2);
    assert_true(live[0]);
    assert_true(live[1]);
    assert_false(live[2]);
    arena_free(&a);
}

static void test_keys_dead_code_and_renaming_hit(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rule *x = evo_prune(&a, tu_rule(&a, lion));
    Rule *y = evo_prune(&a, tu_rule(&a, lion_dead));
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(y->nstmts, 2);
    assert_int_equal(y->nstates, 1);
    assert_true(evo_text_key(x) == evo_text_key(y));
    assert_true(evo_func_hash(x) == evo_func_hash(y));
    arena_free(&a);
}

static void test_keys_differ_sign_vs_tanh(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rule *x = evo_prune(&a, tu_rule(&a, lion));
    Rule *y = evo_prune(&a, tu_rule(&a, lion_tanh));
    assert_true(evo_text_key(x) != evo_text_key(y));
    assert_true(evo_func_hash(x) != evo_func_hash(y));
    /* A constant changed in the fourth digit is another rule too. */
    Rule *z = evo_prune(&a, tu_rule(&a, lion));
    z->params[2].value = 0.9901;
    assert_true(evo_func_hash(x) != evo_func_hash(z));
    arena_free(&a);
}

/* Float addition commutes exactly (IEEE), so these compute the same bits
 * on every input although their texts differ. */
static void test_func_hash_commuted_sum_hits(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Rule *x = tu_rule(&a, "rule p(lr = 0.01) {\n    state m;\n"
                          "    m = interp(g, m, 0.9);\n"
                          "    return lr * (m + g);\n}\n");
    Rule *y = tu_rule(&a, "rule q(lr = 0.01) {\n    state m;\n"
                          "    m = interp(g, m, 0.9);\n"
                          "    return lr * (g + m);\n}\n");
    assert_true(evo_text_key(x) != evo_text_key(y));
    assert_true(evo_func_hash(x) == evo_func_hash(y));
    arena_free(&a);
}

static void test_cache_put_get(void **state)
{
    (void)state;
    EvoCache c;
    evo_cache_init(&c);
    double f;
    assert_false(evo_cache_get(&c, 5, &f));
    /* Enough keys to force the table to grow a few times. */
    for (uint64_t k = 0; k < 5000; k++)
        evo_cache_put(&c, k * 0x9E3779B97F4A7C15ull, (double)k / 8);
    for (uint64_t k = 0; k < 5000; k++) {
        assert_true(evo_cache_get(&c, k * 0x9E3779B97F4A7C15ull, &f));
        assert_true(f == (double)k / 8);
    }
    assert_false(evo_cache_get(&c, 12345, &f));
    assert_int_equal(c.hits, 5000);
    assert_int_equal(c.lookups, 5002);
    evo_cache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_marks_dead),
        cmocka_unit_test(test_live_state_across_steps),
        cmocka_unit_test(test_keys_dead_code_and_renaming_hit),
        cmocka_unit_test(test_keys_differ_sign_vs_tanh),
        cmocka_unit_test(test_func_hash_commuted_sum_hits),
        cmocka_unit_test(test_cache_put_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
