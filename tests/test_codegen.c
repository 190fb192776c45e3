/* Tests of the code generator: the optimized loop of AdamW and Lion works
 * on vectors, scalar sub-expressions are computed once in the entry block,
 * no fast-math or contraction sneaks in, and bad trees are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/codegen.h"
#include "compiler/sema.h"
#include "grammar/parse.h"
#include "tests/support.h"

static char *dump(const char *example, CgDump what)
{
    Arena a;
    arena_init(&a);
    Rule *r = tu_example(&a, example);
    char err[256] = "";
    char *text = cg_dump(r, what, err, sizeof err);
    if (!text)
        fail_msg("%s: %s", example, err);
    arena_free(&a);
    return text;
}

/* The text of the block labelled `label` up to the next blank line. */
static char *block(const char *ir, const char *label)
{
    const char *p = strstr(ir, label);
    if (!p)
        return NULL;
    const char *end = strstr(p, "\n\n");
    size_t n = end ? (size_t)(end - p) : strlen(p);
    return strndup(p, n);
}

/* The vectorized body of an optimized rule: some block holds arithmetic on
 * 8 or 16 floats at a time. */
static void assert_vector_loop(const char *example)
{
    char *ir = dump(example, CG_DUMP_IR_OPT);
    bool vec =
        strstr(ir, "fmul <8 x float>") || strstr(ir, "fmul <16 x float>");
    if (!vec)
        fail_msg("%s: no vector arithmetic in\n%s", example, ir);
    assert_true(strstr(ir, "load <8 x float>") ||
                strstr(ir, "load <16 x float>"));
    assert_true(strstr(ir, "store <8 x float>") ||
                strstr(ir, "store <16 x float>"));
    free(ir);
}

static void test_codegen_adamw_vectorizes(void **unused)
{
    (void)unused;
    assert_vector_loop("adamw.opt");
}

static void test_codegen_lion_vectorizes(void **unused)
{
    (void)unused;
    assert_vector_loop("lion.opt");
}

/* Adam's bias corrections (beta ^ step) are computed once per call, in the
 * block before the loop. */
static void test_codegen_scalars_hoisted(void **unused)
{
    (void)unused;
    char *ir = dump("adamw.opt", CG_DUMP_IR);
    char *entry = block(ir, "\nhead:");
    char *loop = block(ir, "\nloop:");
    assert_non_null(entry);
    assert_non_null(loop);
    assert_non_null(strstr(entry, "@powf("));
    assert_null(strstr(loop, "@powf("));
    assert_non_null(strstr(loop, "@llvm.sqrt.f32"));
    assert_non_null(strstr(ir, "define void @adamw_step("));
    free(entry);
    free(loop);
    free(ir);
}

/* No fast-math flags and no fused multiply-add, before or after the
 * passes: the interpreter's float arithmetic is the meaning. */
static void test_codegen_no_fast_math(void **unused)
{
    (void)unused;
    const char *ex[] = {"adamw.opt", "lion.opt", "rmsprop.opt"};
    const char *bad[] = {" fast ",  " contract ", " reassoc ", " afn ",
                         "fmuladd", "llvm.fma",   " nnan ",    " ninf "};
    for (size_t e = 0; e < sizeof ex / sizeof *ex; e++) {
        for (int what = CG_DUMP_IR; what <= CG_DUMP_IR_OPT; what++) {
            char *ir = dump(ex[e], (CgDump)what);
            for (size_t b = 0; b < sizeof bad / sizeof *bad; b++)
                if (strstr(ir, bad[b]))
                    fail_msg("%s has '%s'", ex[e], bad[b]);
            free(ir);
        }
        char *as = dump(ex[e], CG_DUMP_ASM);
        if (strstr(as, "vfmadd") || strstr(as, "vfmsub") ||
            strstr(as, "vfnmadd"))
            fail_msg("%s: FMA in the assembly", ex[e]);
        free(as);
    }
}

static void test_codegen_asm_names_function(void **unused)
{
    (void)unused;
    char *as = dump("lion.opt", CG_DUMP_ASM);
    assert_non_null(strstr(as, "lion_step:"));
    assert_true(strstr(as, "ymm") || strstr(as, "zmm"));
    free(as);
}

/* A tree the checks did not resolve is an error, not a crash. */
static void test_codegen_unresolved_refused(void **unused)
{
    (void)unused;
    Arena a;
    arena_init(&a);
    Rule *r = arena_alloc(&a, sizeof *r);
    r->name = "bad";
    r->lr_param = -1;
    Node *args[2] = {ast_var(&a, "nope"), ast_num(&a, 2.0)};
    r->ret = ast_call(&a, FN_MUL, 2, args);
    char err[256] = "";
    assert_null(cg_dump(r, CG_DUMP_IR, err, sizeof err));
    assert_non_null(strstr(err, "nope"));

    /* A local read before any assignment. */
    args[0]->var = VK_LOCAL;
    args[0]->slot = 0;
    r->nlocals = 1;
    err[0] = '\0';
    assert_null(cg_dump(r, CG_DUMP_IR, err, sizeof err));
    assert_non_null(strstr(err, "before it is assigned"));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codegen_adamw_vectorizes),
        cmocka_unit_test(test_codegen_lion_vectorizes),
        cmocka_unit_test(test_codegen_scalars_hoisted),
        cmocka_unit_test(test_codegen_no_fast_math),
        cmocka_unit_test(test_codegen_asm_names_function),
        cmocka_unit_test(test_codegen_unresolved_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
