/* Printer tests: canonical text of hand-picked trees, every example
 * formats to a fixpoint that parses back to the same tree, and thousands
 * of random trees (all functions, negative and odd numbers, nested unary
 * minus) survive parse(print(ast)) and print idempotently. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/print.h"
#include "compiler/sema.h"
#include "grammar/parse.h"
#include "runtime/rng.h"

/* Parses text; fails the test with the diagnostics if it does not. */
static Rule *parse_ok(Arena *a, const char *text)
{
    Source src;
    source_from_string(&src, text);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    Diag d;
    diag_init(&d, &src, f);
    Rule *r = parse_rule(a, &src, &d);
    fclose(f);
    if (!r)
        fail_msg("does not parse:\n%s\n%s", text, out);
    free(out);
    return r;
}

/* print(parse(text)) is `want`, and a fixpoint that parses equal. */
static void assert_canonical(const char *text, const char *want)
{
    Arena a;
    arena_init(&a);
    Rule *r = parse_ok(&a, text);
    char *p = print_rule(r);
    if (strcmp(p, want))
        fail_msg("printed:\n%s\nwant:\n%s", p, want);
    Rule *r2 = parse_ok(&a, p);
    assert_true(ast_equal(r, r2));
    char *p2 = print_rule(r2);
    assert_string_equal(p, p2);
    free(p);
    free(p2);
    arena_free(&a);
}

static void assert_expr(const char *expr, const char *want)
{
    char text[512], w[512];
    snprintf(text, sizeof text, "rule r() {\n    return %s;\n}\n", expr);
    snprintf(w, sizeof w, "rule r() {\n    return %s;\n}\n", want);
    assert_canonical(text, w);
}

static void test_print_parentheses(void **state)
{
    (void)state;
    assert_expr("a - (b - c)", "a - (b - c)");
    assert_expr("(a - b) - c", "a - b - c");
    assert_expr("((a*b))+(c)", "a * b + c");
    assert_expr("a * (b + c)", "a * (b + c)");
    assert_expr("a / (b * c)", "a / (b * c)");
    assert_expr("(a ^ b) ^ c", "(a ^ b) ^ c");
    assert_expr("a ^ (b ^ c)", "a ^ b ^ c");
    assert_expr("(-a) ^ 2", "(-a) ^ 2");
    assert_expr("-(a ^ 2)", "-a ^ 2");
    assert_expr("(-2) ^ a", "(-2) ^ a");
    assert_expr("a ^ (-2)", "a ^ -2");
    assert_expr("-(2)", "-(2)");
    assert_expr("-(-(2))", "--(2)");
    assert_expr("-(-2)", "--2");
    assert_expr("-(a * b)", "-(a * b)");
    assert_expr("(-a) * b", "-a * b");
    assert_expr("a - (-2)", "a - -2");
    assert_expr("sign(interp(g,a,  b))", "sign(interp(g, a, b))");
}

static void test_print_numbers(void **state)
{
    (void)state;
    assert_expr("0.001 + 1e-8 + 0.01", "1e-3 + 1e-8 + 0.01");
    assert_expr("1000000 + 1e7 + 2.5E+4", "1000000 + 1e7 + 25000");
    assert_expr("0.1 + .5 + 3.", "0.1 + 0.5 + 3");
    assert_expr("0.30000000000000004", "0.30000000000000004");
    assert_expr("1.7976931348623157e308", "1.7976931348623157e308");
    assert_expr("4.9e-324", "5e-324");
    assert_canonical("rule r(a = -0, b = -1.5e-7) {\n    return a + b;\n}\n",
                     "rule r(a = -0, b = -1.5e-7) {\n    return a + b;\n}\n");
}

static void test_print_doc_and_layout(void **state)
{
    (void)state;
    assert_canonical("# keep\n#  me\nrule r(lr=1,b=2){state m,v;"
                     "m=g;v=m # dropped\n;return lr*v+b;}",
                     "# keep\n#  me\nrule r(lr = 1, b = 2) {\n"
                     "    state m, v;\n    m = g;\n    v = m;\n"
                     "    return lr * v + b;\n}\n");
}

static void test_print_examples(void **state)
{
    (void)state;
    const char *dir = SYMOPT_SOURCE_DIR "/examples";
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".opt"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        Source src;
        assert_int_equal(source_read_file(&src, path), 0);
        Arena a;
        arena_init(&a);
        Rule *r = parse_ok(&a, src.text);
        char *p = print_rule(r);
        Rule *r2 = parse_ok(&a, p);
        char *p2 = print_rule(r2);
        assert_true(ast_equal(r, r2));
        assert_string_equal(p, p2);
        assert_string_equal(r->doc, r2->doc);
        free(p);
        free(p2);
        arena_free(&a);
        source_free(&src);
    }
    closedir(d);
}

/* A random finite double: small integers, short decimals, huge and tiny
 * magnitudes, zeros of both signs. */
static double random_number(Rng *rng)
{
    double v;
    switch (rng_below(rng, 6)) {
    case 0: v = (double)rng_below(rng, 20); break;
    case 1: v = rng_normal(rng); break;
    case 2: v = ldexp(rng_uniform(rng), (int)rng_below(rng, 2000) - 1000);
        break;
    case 3: v = (double)rng_below(rng, 1000) / 1000; break;
    case 4: v = 0.0; break;
    default: {
        uint64_t bits = rng_next(rng);
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            v = 1e300;
    }
    }
    return rng_below(rng, 2) ? -v : v;
}

static const char *names[] = {"w", "g", "step", "lr", "m", "x1"};

static Node *random_tree(Arena *a, Rng *rng, int depth)
{
    if (depth == 0 || rng_below(rng, 4) == 0) {
        if (rng_below(rng, 2))
            return ast_num(a, random_number(rng));
        return ast_var(a, names[rng_below(rng, 6)]);
    }
    FnKind fn = (FnKind)rng_below(rng, FN__COUNT);
    if (rng_below(rng, 3) == 0)
        fn = FN_NEG;
    Node *args[3];
    for (int i = 0; i < fn_info[fn].arity; i++)
        args[i] = random_tree(a, rng, depth - 1);
    return ast_call(a, fn, fn_info[fn].arity, args);
}

static void test_print_random_round_trip(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 20230213);
    for (int iter = 0; iter < 5000; iter++) {
        Arena a;
        arena_init(&a);
        Rule *r = arena_alloc(&a, sizeof *r);
        r->name = "rand";
        r->arena = &a;
        r->nstmts = 1;
        r->stmts = arena_alloc(&a, sizeof *r->stmts);
        r->stmts[0].target = "x1";
        r->stmts[0].value = random_tree(&a, &rng, 6);
        r->ret = random_tree(&a, &rng, 8);

        char *p = print_rule(r);
        Rule *r2 = parse_ok(&a, p);
        if (!ast_equal(r, r2)) {
            char *q = print_rule(r2);
            fail_msg("round trip changed the tree:\n%s\nreprinted:\n%s", p,
                     q);
        }
        char *p2 = print_rule(r2);
        assert_string_equal(p, p2);
        free(p);
        free(p2);
        arena_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_parentheses),
        cmocka_unit_test(test_print_numbers),
        cmocka_unit_test(test_print_doc_and_layout),
        cmocka_unit_test(test_print_examples),
        cmocka_unit_test(test_print_random_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
