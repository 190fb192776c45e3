#!/usr/bin/python3
# Reference numbers for tests/test_reference.c: five steps of PyTorch's
# AdamW and of Lion (written from its published formula) on fixed inputs.
# Run once with a Python that has torch; the tests only read the output.
"""Writes adamw.txt and lion.txt next to this script.

Inputs (n = 37, i = 0..36, t = 1..5), exact in float32 because each is a
small integer times a power of two:
    w0[i]  = ((5*i) % 13 - 6) * 2^((i % 9) - 5)
    g_t[i] = ((3*i + 7*t) % 11 - 5) * 2^(((i + 2*t) % 13) - 10)
so weights span 2^-5..48 with both signs and a zero, and gradients span
2^-10..20 with both signs and zeros.

Output lines (values printed with %.9g, which round-trips float32):
    run LABEL lr VALUE          a run with that learning rate; the other
                                hyperparameters are the rule's defaults
    LABEL STEP NAME v0 .. v36   NAME is w (after the step; step 0 is the
                                start), g (the gradient fed at STEP), or a
                                state after the step (m, v for AdamW; m
                                for Lion)
"""
import os

import numpy as np
import torch

N = 37
STEPS = 5


def start_weights():
    i = np.arange(N)
    k = ((5 * i) % 13 - 6).astype(np.float32)
    return np.ldexp(k, (i % 9) - 5).astype(np.float32)


def gradient(t):
    i = np.arange(N)
    k = ((3 * i + 7 * t) % 11 - 5).astype(np.float32)
    return np.ldexp(k, ((i + 2 * t) % 13) - 10).astype(np.float32)


def f32(x):
    """The float32 value of a constant, as a Python float: the rule sees
    hyperparameters as (float)value, so the reference uses the same
    numbers (1 - f32(0.999) is then exact in both places)."""
    return float(np.float32(x))


def fmt(label, step, name, values):
    vals = " ".join("%.9g" % float(x) for x in values)
    return "%s %d %s %s\n" % (label, step, name, vals)


def adamw_run(lr):
    label = "lr=%g" % lr
    lr = f32(lr)
    out = ["run %s lr %.9g\n" % (label, lr)]
    p = torch.nn.Parameter(torch.from_numpy(start_weights().copy()))
    opt = torch.optim.AdamW([p], lr=lr, betas=(f32(0.9), f32(0.999)),
                            eps=f32(1e-8), weight_decay=f32(1e-2))
    out.append(fmt(label, 0, "w", p.detach().numpy()))
    for t in range(1, STEPS + 1):
        g = torch.from_numpy(gradient(t))
        p.grad = g.clone()
        opt.step()
        st = opt.state[p]
        out.append(fmt(label, t, "g", g.numpy()))
        out.append(fmt(label, t, "w", p.detach().numpy()))
        out.append(fmt(label, t, "m", st["exp_avg"].numpy()))
        out.append(fmt(label, t, "v", st["exp_avg_sq"].numpy()))
    return out


def lion_run(lr, b1=0.9, b2=0.99, wd=0.1):
    """Lion per Chen et al. (2023): the update's sign uses the old m, the
    decay is decoupled, and m is updated after the weight."""
    label = "lr=%g" % lr
    lr, b1, b2, wd = f32(lr), f32(b1), f32(b2), f32(wd)
    out = ["run %s lr %.9g\n" % (label, lr)]
    w = torch.from_numpy(start_weights().copy())
    m = torch.zeros(N, dtype=torch.float32)
    out.append(fmt(label, 0, "w", w.numpy()))
    for t in range(1, STEPS + 1):
        g = torch.from_numpy(gradient(t))
        c = b1 * m + (1 - b1) * g
        check_sign_margin(c, m, g, b1)
        w = w - lr * (torch.sign(c) + wd * w)
        m = b2 * m + (1 - b2) * g
        out.append(fmt(label, t, "g", g.numpy()))
        out.append(fmt(label, t, "w", w.numpy()))
        out.append(fmt(label, t, "m", m.numpy()))
    return out


def check_sign_margin(c, m, g, b1):
    """sign(c) must not depend on rounding: every nonzero c is far from 0
    relative to the terms it is made of, and c is exactly 0 only where m
    and g both are."""
    scale = b1 * m.abs() + (1 - b1) * g.abs()
    zero = (m == 0) & (g == 0)
    assert bool(torch.all((c == 0) == zero))
    ok = zero | (c.abs() > 1e-4 * scale)
    assert bool(torch.all(ok)), "a Lion input is ill-conditioned for sign"


def write(path, header, runs):
    with open(path, "w") as f:
        f.write(header)
        for lines in runs:
            f.writelines(lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    torch.set_num_threads(1)
    common = ("# Written by tests/reference/make_reference.py with torch %s;"
              "\n# inputs and format are described there.\n"
              % torch.__version__)
    write(os.path.join(here, "adamw.txt"),
          common + "# torch.optim.AdamW, betas (0.9, 0.999), eps 1e-8,"
          " weight_decay 1e-2\n",
          [adamw_run(1e-3), adamw_run(1e-1)])
    write(os.path.join(here, "lion.txt"),
          common + "# Lion from its formula, b1 0.9, b2 0.99, wd 0.1\n",
          [lion_run(1e-4), lion_run(1e-2)])


if __name__ == "__main__":
    main()
