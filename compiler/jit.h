/* The JIT: compiles checked rules to native code for the host CPU in one
 * ORC LLJIT session, each rule with its own resource tracker so that its
 * code and memory go away when it is released. A session is used by one
 * thread at a time. */
#ifndef SYMOPT_JIT_H
#define SYMOPT_JIT_H

#include <stddef.h>

#include "compiler/ast.h"
#include "compiler/rule_abi.h"

typedef struct Jit Jit;         /* one session serves many rules */
typedef struct JitRule JitRule; /* one compiled rule */

/* A JIT session for the host CPU; NULL with a message in err. The caller
 * owns it and frees it with jit_free. */
Jit *jit_new(char *err, size_t errlen);

/* Frees the session and every rule still in it. */
void jit_free(Jit *j);

/* Compiles a checked rule (sema_check passed). The rule is only read
 * during the call. The result belongs to the session: free it with
 * jit_release, or it goes with jit_free. NULL with a message. */
JitRule *jit_compile(Jit *j, const Rule *r, char *err, size_t errlen);

/* The compiled step function; valid until the rule is released. */
RuleStepFn jit_fn(const JitRule *jr);

/* Frees one rule's code and memory. */
void jit_release(Jit *j, JitRule *jr);

#endif
