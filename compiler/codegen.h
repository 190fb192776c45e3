/* LLVM code generation for a checked rule: one fused, vectorizable loop per
 * rule with the calling convention of rule_abi.h, the optimization pipeline
 * and text dumps of the result. The JIT and the object writer build on it. */
#ifndef SYMOPT_CODEGEN_H
#define SYMOPT_CODEGEN_H

#include <stddef.h>

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "compiler/ast.h"

typedef enum CgDump {
    CG_DUMP_IR,     /* the IR as generated, before any pass */
    CG_DUMP_IR_OPT, /* the IR after the optimization pipeline */
    CG_DUMP_ASM,    /* host assembly of the optimized IR */
} CgDump;

/* Initializes the native target once; safe to call from any thread. */
void cg_init(void);

/* A target machine for the host CPU (its name and features), optimizing at
 * the default codegen level. `reloc` is LLVMRelocPIC for object files.
 * The caller disposes it with LLVMDisposeTargetMachine. NULL with a
 * message in err. */
LLVMTargetMachineRef cg_host_machine(LLVMRelocMode reloc, char *err,
                                     size_t errlen);

/* Builds a module in `ctx` holding one external function `fname` that runs
 * rule `r` (sema_check passed) with the rule_abi.h convention, for the
 * target of `tm` (triple, data layout, CPU and feature attributes). The
 * module is verified before it is returned. The caller owns the module
 * (LLVMDisposeModule). NULL with a message in err. */
LLVMModuleRef cg_build(LLVMContextRef ctx, const Rule *r, const char *fname,
                       LLVMTargetMachineRef tm, char *err, size_t errlen);

/* Runs the optimization pipeline (it keeps loop vectorization) on `m` for
 * `tm`. 0, or -1 with a message. */
int cg_optimize(LLVMModuleRef m, LLVMTargetMachineRef tm, char *err,
                size_t errlen);

/* Text of the rule compiled for the host, its function named
 * "<rule name>_step". The caller frees it with free(). NULL with a
 * message. */
char *cg_dump(const Rule *r, CgDump what, char *err, size_t errlen);

#endif
