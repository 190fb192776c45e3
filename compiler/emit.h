/* Ahead-of-time output: an object file for the host CPU holding a rule's
 * step function, and the C header that declares it, its hyperparameters
 * and their defaults. The object needs nothing at run time but libm. */
#ifndef SYMOPT_EMIT_H
#define SYMOPT_EMIT_H

#include <stddef.h>

#include "compiler/ast.h"

/* Writes an object file (position independent, host CPU) defining
 * `<rule name>_step` and a C header next to it. Writes to temporary files
 * and renames, so a failure leaves no half file. 0, or -1 with a message
 * naming the path at fault. */
int emit_object(const Rule *r, const char *obj_path, const char *hdr_path,
                char *err, size_t errlen);

/* The text of the C header for rule r (what emit_object writes). The
 * caller frees it with free(). NULL with a message, e.g. when the rule's
 * name or a hyperparameter's is not usable as a C identifier. */
char *emit_header(const Rule *r, char *err, size_t errlen);

#endif
