/* Semantic check tests: resolution results (kinds, slots, scalar marks,
 * locals), each error kind with its location, and checking again a rule
 * that code has built or mutated (spans {0,0}, stale results). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/sema.h"
#include "grammar/parse.h"

static Rule *parse(Arena *a, const char *text)
{
    Source *src = arena_alloc(a, sizeof *src);
    source_from_string(src, arena_strdup(a, text));
    Diag d;
    diag_init(&d, src, stderr);
    Rule *r = parse_rule(a, src, &d);
    assert_non_null(r);
    return r;
}

/* Checks r; its error lines ("line:col: message" of errors only) must be
 * exactly `want`. */
static void assert_sema(Rule *r, const char *text, const char *want)
{
    Source src;
    source_from_string(&src, text);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    Diag d;
    diag_init(&d, &src, f);
    bool ok = sema_check(r, &d);
    fclose(f);
    assert_int_equal(ok, *want == '\0');

    char got[2048] = "";
    for (char *line = out; line && *line;) {
        char *eol = strchr(line, '\n');
        *eol = '\0';
        if (!strncmp(line, "<string>:", 9) && strstr(line, ": error: "))
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s\n",
                     line + 9);
        line = eol + 1;
    }
    if (strcmp(got, want))
        fail_msg("got:\n%s\nwant:\n%s", got, want);
    free(out);
}

static void test_sema_resolution(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    const char *text = "rule r(b = 0.9, lr = 1) {\n state m, v;\n"
                       " c = 1 - b ^ step;\n m = interp(g, m, b);\n"
                       " t = m / c;\n c = w;\n v = c;\n"
                       " return lr * t + v;\n}\n";
    Rule *r = parse(&a, text);
    assert_sema(r, text, "");
    assert_int_equal(r->lr_param, 1);
    assert_int_equal(r->nlocals, 2);
    assert_string_equal(r->local_names[0], "c");
    assert_string_equal(r->local_names[1], "t");

    Node *c = r->stmts[0].value;
    assert_true(c->scalar);
    assert_int_equal(c->args[1]->args[0]->var, VK_PARAM);
    assert_int_equal(c->args[1]->args[0]->slot, 0);
    assert_int_equal(c->args[1]->args[1]->var, VK_STEP);
    assert_int_equal(r->stmts[0].tkind, VK_LOCAL);
    assert_int_equal(r->stmts[0].tslot, 0);

    Node *mi = r->stmts[1].value;
    assert_false(mi->scalar);
    assert_int_equal(mi->args[1]->var, VK_STATE);
    assert_int_equal(r->stmts[1].tkind, VK_STATE);
    assert_int_equal(r->stmts[1].tslot, 0);

    /* t = m / c reads the scalar c; v = c reads c after c = w. */
    assert_true(r->stmts[2].value->args[1]->scalar);
    assert_false(r->stmts[2].value->scalar);
    assert_false(r->stmts[4].value->scalar);
    assert_int_equal(r->stmts[4].tslot, 1);

    Node *ret = r->ret;
    assert_int_equal(ret->args[0]->args[0]->var, VK_LR);
    assert_true(ret->args[0]->args[0]->scalar);
    arena_free(&a);
}

static void test_sema_errors(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    const char *text = "rule r(lr = 1, lr = 2, g = 0) {\n"
                       "  state m, u, lr;\n"
                       "  x = y + abs(g, g) + foo(x);\n"
                       "  w = 1;\n"
                       "  q = z;\n"
                       "  z = 1;\n"
                       "  m = m;\n"
                       "  return lr;\n}\n";
    Rule *r = parse(&a, text);
    assert_sema(r, text,
                "1:16: error: hyperparameter 'lr' is declared twice\n"
                "1:24: error: a hyperparameter cannot be named 'g', an "
                "input of every rule\n"
                "2:15: error: a state cannot be named 'lr', an input of "
                "every rule\n"
                "3:7: error: undefined name 'y'\n"
                "3:11: error: 'abs' takes 1 argument, got 2\n"
                "3:27: error: 'x' is used before it is assigned\n"
                "3:23: error: unknown function 'foo'\n"
                "4:3: error: cannot assign to input 'w'\n"
                "5:7: error: 'z' is used before it is assigned\n"
                "2:12: error: state 'u' is never used\n");
    arena_free(&a);
}

/* A rule built by code: no spans, stale sema fields, then mutated. */
static void test_sema_built_and_mutated(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    const char *text = "rule r(lr = 1) {\n state m;\n m = interp(g, m, 0.9);"
                       "\n return lr * m;\n}\n";
    Rule *r = parse(&a, text);
    assert_sema(r, text, "");

    Arena b;
    arena_init(&b);
    Rule *c = ast_clone(&b, r);
    assert_ptr_equal(c->arena, &b);
    Node *args[2] = {ast_var(&b, "m"), ast_num(&b, 2)};
    Stmt *st = arena_alloc(&b, sizeof *st * 2);
    st[0] = c->stmts[0];
    st[1] = (Stmt){.target = "k", .value = ast_call(&b, FN_POW, 2, args),
                   .tkind = VK_STATE, .tslot = 7};
    c->stmts = st;
    c->nstmts = 2;
    c->ret = ast_call(&b, FN_MUL, 2,
                      (Node *[]){ast_var(&b, "lr"), ast_var(&b, "k")});
    assert_sema(c, "", "");
    assert_int_equal(c->nlocals, 1);
    assert_string_equal(c->local_names[0], "k");
    assert_int_equal(c->stmts[1].tkind, VK_LOCAL);
    assert_int_equal(c->stmts[1].tslot, 0);
    assert_int_equal(c->ret->args[1]->var, VK_LOCAL);

    /* Mutations the search may make: a bad arity, a dead state, an
     * unknown name, a non-finite constant, too deep a tree. */
    c->ret->args[1] = ast_call(&b, FN_SIGN, 2, (Node *[]){
        ast_var(&b, "k"), ast_num(&b, 1.0 / 0.0)});
    c->stmts[0].value = ast_var(&b, "nope");
    assert_sema(c, "", "1:1: error: undefined name 'nope'\n"
                       "1:1: error: constant inf is not a finite "
                       "single-precision number\n"
                       "1:1: error: 'sign' takes 1 argument, got 2\n");
    Node *deep = ast_var(&b, "g");
    for (int i = 0; i < SEMA_MAX_DEPTH; i++)
        deep = ast_call(&b, FN_NEG, 1, &deep);
    c->ret = deep;
    c->stmts[0].value = ast_var(&b, "g");
    assert_sema(c, "", "1:1: error: expression is nested more than 200 "
                       "levels deep\n");
    arena_free(&b);
    arena_free(&a);
}

static void test_sema_depth(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    Node *n = ast_num(&a, 1);
    assert_false(sema_depth_exceeds(n, 1));
    assert_true(sema_depth_exceeds(n, 0));
    for (int i = 1; i < 5; i++)
        n = ast_call(&a, FN_ADD, 2, (Node *[]){ast_num(&a, 1), n});
    assert_false(sema_depth_exceeds(n, 5));
    assert_true(sema_depth_exceeds(n, 4));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sema_resolution),
        cmocka_unit_test(test_sema_errors),
        cmocka_unit_test(test_sema_built_and_mutated),
        cmocka_unit_test(test_sema_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
