/* Tests of the IDX reader and the data splits: hand-made IDX files (good,
 * truncated, corrupt, inconsistent) in a temporary folder, the synthetic
 * set, and the real Fashion-MNIST files when they are installed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "runtime/dataset.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/symopt_test_dataset_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* Writes an IDX file: magic 0x000008nd, big-endian dims, then `count`
 * bytes of `data`; gzip-compressed unless plain is set. */
static void write_idx(const char *dir, const char *name, int nd,
                      const uint32_t *dims, const uint8_t *data, size_t count,
                      int plain)
{
    unsigned char head[16] = {0, 0, 8, (unsigned char)nd};
    char path[512];

    for (int i = 0; i < nd; i++) {
        head[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        head[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        head[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        head[7 + 4 * i] = (unsigned char)dims[i];
    }
    path_of(path, sizeof path, dir, name);
    if (plain) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fwrite(head, 1, 4 + 4 * (size_t)nd, f);
        fwrite(data, 1, count, f);
        fclose(f);
    } else {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        gzwrite(f, head, 4 + 4 * (unsigned)nd);
        if (count)
            gzwrite(f, data, (unsigned)count);
        gzclose(f);
    }
}

/* A complete fake set in `dir`: ntr training and nte test images whose
 * pixel j of image i is (i + 3 j) % 256, label i % 10. */
static void write_set(const char *dir, uint32_t ntr, uint32_t nte)
{
    uint8_t *img = malloc((size_t)ntr * 784);
    uint8_t *lab = malloc(ntr);
    uint32_t d3[3] = {ntr, 28, 28}, d1[1] = {ntr};

    for (uint32_t i = 0; i < ntr; i++) {
        lab[i] = (uint8_t)(i % 10);
        for (int j = 0; j < 784; j++)
            img[(size_t)i * 784 + j] = (uint8_t)((i + 3 * j) % 256);
    }
    write_idx(dir, "train-images-idx3-ubyte.gz", 3, d3, img, (size_t)ntr * 784,
              0);
    write_idx(dir, "train-labels-idx1-ubyte.gz", 1, d1, lab, ntr, 0);
    d3[0] = d1[0] = nte;
    write_idx(dir, "t10k-images-idx3-ubyte.gz", 3, d3, img, (size_t)nte * 784,
              0);
    write_idx(dir, "t10k-labels-idx1-ubyte.gz", 1, d1, lab, nte, 0);
    free(img);
    free(lab);
}

static void subdir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    mkdir(buf, 0700);
}

static void expect_load_error(const char *dir, const char *what)
{
    Dataset ds;
    char err[1024];

    assert_int_equal(dataset_load(&ds, dir, 2, err, sizeof err), -1);
    if (!strstr(err, what))
        fail_msg("error '%s' lacks '%s'", err, what);
    /* Every load error says how to get the data. */
    assert_non_null(strstr(err, "dataset-fashion-mnist"));
    assert_non_null(strstr(err, "--data DIR"));
    assert_null(ds.train.x);
    dataset_free(&ds);
}

static void test_idx_read_plain_and_gzip(void **state)
{
    uint8_t data[6] = {1, 2, 3, 4, 5, 6}, *got;
    uint32_t dims[3] = {3, 2, 1}, out[3];
    char path[512], err[256];

    (void)state;
    write_idx(tmpdir, "a.gz", 3, dims, data, 6, 0);
    path_of(path, sizeof path, tmpdir, "a.gz");
    assert_int_equal(dataset_read_idx(path, 3, &got, out, err, sizeof err), 0);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 2);
    assert_int_equal(out[2], 1);
    assert_memory_equal(got, data, 6);
    free(got);

    /* gzread passes an uncompressed file through unchanged. */
    write_idx(tmpdir, "a.raw", 3, dims, data, 6, 1);
    path_of(path, sizeof path, tmpdir, "a.raw");
    assert_int_equal(dataset_read_idx(path, 3, &got, out, err, sizeof err), 0);
    assert_memory_equal(got, data, 6);
    free(got);
}

static void expect_idx_error(const char *name, int nd, const char *what)
{
    char path[512], err[256];
    uint32_t out[3];
    uint8_t *got;

    path_of(path, sizeof path, tmpdir, name);
    assert_int_equal(dataset_read_idx(path, nd, &got, out, err, sizeof err),
                     -1);
    assert_null(got);
    if (!strstr(err, what) || !strstr(err, path))
        fail_msg("error '%s' lacks '%s' or the path", err, what);
}

static void test_idx_read_errors(void **state)
{
    uint8_t data[16] = {0};
    uint32_t dims[3] = {4, 2, 1}, zero[3] = {0, 2, 2};
    uint32_t huge[3] = {0xffffffffu, 0xffffffffu, 2};
    char path[512];
    FILE *f;

    (void)state;
    expect_idx_error("missing.gz", 3, "cannot open");

    write_idx(tmpdir, "short.gz", 3, dims, data, 7, 0);
    expect_idx_error("short.gz", 3, "truncated");

    write_idx(tmpdir, "long.gz", 3, dims, data, 9, 0);
    expect_idx_error("long.gz", 3, "extra bytes");

    write_idx(tmpdir, "dims.gz", 1, dims, data, 4, 0);
    expect_idx_error("dims.gz", 3, "magic");

    write_idx(tmpdir, "zero.gz", 3, zero, data, 0, 0);
    expect_idx_error("zero.gz", 3, "is 0");

    write_idx(tmpdir, "huge.gz", 3, huge, data, 8, 0);
    expect_idx_error("huge.gz", 3, "more than");

    write_idx(tmpdir, "head.gz", 3, dims, data, 0, 0);
    path_of(path, sizeof path, tmpdir, "head.gz");
    truncate(path, 0);
    expect_idx_error("head.gz", 3, "no IDX header");

    /* Bad magic: a type byte other than 0x08 (unsigned bytes). */
    path_of(path, sizeof path, tmpdir, "magic.raw");
    f = fopen(path, "wb");
    fwrite("\0\0\x0d\x03", 1, 4, f);
    fclose(f);
    expect_idx_error("magic.raw", 3, "magic");
}

static void test_idx_read_corrupt_gzip(void **state)
{
    uint8_t data[4096];
    uint32_t dims[3] = {4096, 1, 1};
    char path[512];
    long size;
    FILE *f;

    (void)state;
    for (int i = 0; i < 4096; i++)
        data[i] = (uint8_t)(i * 7919 % 251);
    write_idx(tmpdir, "cut.gz", 3, dims, data, 4096, 0);
    path_of(path, sizeof path, tmpdir, "cut.gz");

    /* Cut the compressed stream in half: a truncated download. */
    f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    truncate(path, size / 2);
    expect_idx_error("cut.gz", 3, "");

    /* Flip bytes in the middle of the deflate data. */
    write_idx(tmpdir, "flip.gz", 3, dims, data, 4096, 0);
    path_of(path, sizeof path, tmpdir, "flip.gz");
    f = fopen(path, "r+b");
    fseek(f, size / 2, SEEK_SET);
    fwrite("\xff\x00\xff\x00\xff\x00\xff\x00", 1, 8, f);
    fclose(f);
    expect_idx_error("flip.gz", 3, "");
}

static void test_load_fake_set_splits(void **state)
{
    char dir[512], err[1024];
    Dataset ds;

    (void)state;
    subdir(dir, sizeof dir, "good");
    write_set(dir, 30, 12);
    assert_int_equal(dataset_load(&ds, dir, 10, err, sizeof err), 0);
    assert_int_equal(ds.dim, 784);
    assert_int_equal(ds.nclass, 10);
    assert_int_equal(ds.train.n, 20);
    assert_int_equal(ds.val.n, 10);
    assert_int_equal(ds.test.n, 12);

    /* Validation is the last 10 training images: labels 20..29 % 10. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(ds.val.y[i], (20 + i) % 10);
    for (int i = 0; i < 20; i++)
        assert_int_equal(ds.train.y[i], i % 10);

    /* Pixel j over training images 0..19 takes (i + 3j) % 256; with no
     * wrap-around (j < 78) it is i + 3j: mean 9.5 + 3j, population std
     * sqrt((20^2 - 1) / 12). Check pixel 5 of image 0, of validation image
     * 0 (i = 20) and of test image 0 (i = 0). */
    double sd = sqrt((400.0 - 1) / 12);
    assert_float_equal(ds.train.x[5], (0 - 9.5) / sd, 1e-5);
    assert_float_equal(ds.val.x[5], (20 - 9.5) / sd, 1e-5);
    assert_float_equal(ds.test.x[5], (0 - 9.5) / sd, 1e-5);
    dataset_free(&ds);

    /* n_val must leave training images. */
    assert_int_equal(dataset_load(&ds, dir, 30, err, sizeof err), -1);
    assert_non_null(strstr(err, "validation"));
}

static void test_load_errors(void **state)
{
    uint8_t lab[30];
    uint32_t d1[1] = {30}, d3[3] = {30, 28, 27};
    char dir[512];

    (void)state;
    subdir(dir, sizeof dir, "empty");
    expect_load_error(dir, "train-images-idx3-ubyte.gz");

    /* Labels and images disagree in count. */
    subdir(dir, sizeof dir, "count");
    write_set(dir, 30, 12);
    memset(lab, 1, sizeof lab);
    d1[0] = 29;
    write_idx(dir, "train-labels-idx1-ubyte.gz", 1, d1, lab, 29, 0);
    expect_load_error(dir, "29 labels");

    /* A label of 10 is out of range. */
    subdir(dir, sizeof dir, "label");
    write_set(dir, 30, 12);
    lab[17] = 10;
    d1[0] = 30;
    write_idx(dir, "train-labels-idx1-ubyte.gz", 1, d1, lab, 30, 0);
    expect_load_error(dir, "label 10 of example 17");

    /* Images that are not 28x28. */
    subdir(dir, sizeof dir, "shape");
    write_set(dir, 30, 12);
    uint8_t *img = calloc(30 * 28 * 27, 1);
    write_idx(dir, "t10k-images-idx3-ubyte.gz", 3, d3, img, 30 * 28 * 27, 0);
    free(img);
    expect_load_error(dir, "28x27");

    /* A truncated test-label file. */
    subdir(dir, sizeof dir, "trunc");
    write_set(dir, 30, 12);
    d1[0] = 12;
    write_idx(dir, "t10k-labels-idx1-ubyte.gz", 1, d1, lab, 11, 0);
    expect_load_error(dir, "t10k-labels-idx1-ubyte.gz: truncated");
}

static void test_synthetic_standardized(void **state)
{
    Dataset ds;
    char err[256];

    (void)state;
    assert_int_equal(
        dataset_synthetic(&ds, 6, 3, 400, 50, 60, 1, err, sizeof err), 0);
    assert_int_equal(ds.train.n, 400);
    assert_int_equal(ds.val.n, 50);
    assert_int_equal(ds.test.n, 60);

    /* Each coordinate of the training part: mean 0, std 1. */
    for (int j = 0; j < 6; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < 400; i++) {
            double v = ds.train.x[i * 6 + j];
            s += v;
            s2 += v * v;
        }
        assert_float_equal(s / 400, 0.0, 1e-5);
        assert_float_equal(s2 / 400, 1.0, 1e-4);
    }
    for (int i = 0; i < 400; i++)
        assert_true(ds.train.y[i] < 3);
    dataset_free(&ds);

    assert_int_equal(
        dataset_synthetic(&ds, 0, 3, 400, 50, 60, 1, err, sizeof err), -1);
}

static void test_load_fashion_mnist(void **state)
{
    Dataset ds;
    char err[1024];
    long counts[10] = {0};

    (void)state;
    if (access(DATASET_DEFAULT_DIR "/train-images-idx3-ubyte.gz", R_OK))
        skip();
    assert_int_equal(dataset_load(&ds, NULL, 5000, err, sizeof err), 0);
    assert_int_equal(ds.train.n, 55000);
    assert_int_equal(ds.val.n, 5000);
    assert_int_equal(ds.test.n, 10000);

    /* The test set has exactly 1,000 images of each class. */
    for (int i = 0; i < ds.test.n; i++)
        counts[ds.test.y[i]]++;
    for (int c = 0; c < 10; c++)
        assert_int_equal(counts[c], 1000);

    /* No training pixel is constant, so standardized training pixels have
     * mean 0 and std 1: check pixel 400 (mid-image). */
    double s = 0, s2 = 0;
    for (int i = 0; i < ds.train.n; i++) {
        double v = ds.train.x[(size_t)i * 784 + 400];
        s += v;
        s2 += v * v;
    }
    assert_float_equal(s / ds.train.n, 0.0, 1e-4);
    assert_float_equal(s2 / ds.train.n, 1.0, 1e-3);
    dataset_free(&ds);
}

/* A hand-built data set with a NaN in its validation split is refused,
 * naming where; the same set without it standardizes to mean 0. */
static void test_standardize_refuses_nan(void **state)
{
    (void)state;
    float train[4] = {1, 10, 3, 30}, val[2] = {2, 20}, test[2] = {0, 0};
    uint8_t y[2] = {0, 1};
    Dataset ds = {.dim = 2, .nclass = 2};
    ds.train = (Split){2, train, y};
    ds.val = (Split){1, val, y};
    ds.test = (Split){1, test, y};
    char err[256] = "";

    val[1] = NAN;
    assert_int_equal(dataset_standardize(&ds, err, sizeof err), -1);
    assert_non_null(strstr(err, "validation"));
    assert_non_null(strstr(err, "example 0, feature 1"));
    assert_true(train[0] == 1 && train[3] == 30); /* left untouched */

    val[1] = 20;
    assert_int_equal(dataset_standardize(&ds, err, sizeof err), 0);
    /* Hand calculation: feature 0 has mean 2 and std 1, feature 1 mean
     * 20 and std 10, so the training rows become -1 and +1. */
    assert_true(train[0] == -1 && train[2] == 1);
    assert_true(train[1] == -1 && train[3] == 1);
    assert_true(val[0] == 0 && val[1] == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_read_plain_and_gzip),
        cmocka_unit_test(test_idx_read_errors),
        cmocka_unit_test(test_idx_read_corrupt_gzip),
        cmocka_unit_test(test_load_fake_set_splits),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_synthetic_standardized),
        cmocka_unit_test(test_load_fashion_mnist),
        cmocka_unit_test(test_standardize_refuses_nan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
