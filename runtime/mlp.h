/* A multilayer perceptron (ReLU hidden layers, softmax cross-entropy) with
 * forward and backward passes on single-threaded OpenBLAS sgemm. Each
 * weight matrix and each bias is its own tensor, so that an optimizer rule
 * runs on them one by one. No allocation after mlp_init. */
#ifndef SYMOPT_MLP_H
#define SYMOPT_MLP_H

#include <stddef.h>
#include <stdint.h>

#define MLP_MAX_HIDDEN 4
#define MLP_MAX_TENSORS (2 * (MLP_MAX_HIDDEN + 1))

typedef struct Mlp {
    int nlayers;                  /* weight layers: hidden layers + 1 */
    int size[MLP_MAX_HIDDEN + 2]; /* size[0] inputs .. size[nlayers] */
    int cap;                      /* rows the work buffers hold */
    /* Tensors in order W0, b0, W1, b1, ...; W_l is size[l] x size[l+1],
     * row-major (inputs by outputs), b_l has size[l+1] entries. */
    int ntensors;
    float *param[MLP_MAX_TENSORS];
    float *grad[MLP_MAX_TENSORS];
    int64_t len[MLP_MAX_TENSORS];
    /* Work buffers, cap rows each: input rows for a gathered minibatch,
     * the output of every layer (post-ReLU; the last holds logits), and
     * the loss gradient with respect to each layer's pre-activation. */
    float *input;
    float *act[MLP_MAX_HIDDEN + 2];
    float *delta[MLP_MAX_HIDDEN + 2];
} Mlp;

/* Builds an in-(hidden...)-out network with He normal weights drawn from
 * `seed` and zero biases. `cap` is the largest batch that forward and
 * backward will see. Sets OpenBLAS to one thread (parallelism belongs to
 * the search). Returns 0, or -1 with a message in err. */
int mlp_init(Mlp *m, int in, int nhidden, const int *hidden, int out, int cap,
             uint64_t seed, char *err, size_t errlen);
void mlp_free(Mlp *m);

/* Forward pass over b <= cap rows of x (row-major, size[0] floats each)
 * with labels y. Returns the summed cross-entropy over the rows (double
 * accumulation) and adds the number of correct argmax predictions to
 * *ncorrect if it is not NULL. */
double mlp_forward(Mlp *m, const float *x, const uint8_t *y, int b,
                   long *ncorrect);

/* Forward and backward over b rows: fills grad[] with the gradient of the
 * mean cross-entropy over the batch, and returns that mean. */
double mlp_grad(Mlp *m, const float *x, const uint8_t *y, int b);

/* Mean loss and accuracy over n rows, in chunks of cap. */
void mlp_evaluate(Mlp *m, const float *x, const uint8_t *y, int n, double *loss,
                  double *acc);

/* True if every parameter is finite. */
int mlp_finite(const Mlp *m);

#endif
