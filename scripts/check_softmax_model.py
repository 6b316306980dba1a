"""Checks a softmax-regression run's model.npz with numpy alone (no sparsepush code).

    python3 scripts/check_softmax_model.py RUN_DIR TRAIN_CSV TEST_CSV

RUN_DIR holds model.npz and summary.json (a `model: logistic` run); the CSV files are the run's
training and test sets (features, then the integer label; no header). Prints one JSON object:
  accuracy        test accuracy of model.npz (argmax of x W^T + b), beside the run's reported one
  objective       mean cross-entropy of model.npz over the training set + weightDecay/2 ||(W, b)||^2,
                  beside the run's trainLoss (the same definition)
  optimum         the minimum of that objective over (W, b): full-batch L-BFGS (scipy) in float64
                  from zero, to a gradient norm below 1e-9; gap = objective - optimum
"""
import json
import sys

import numpy as np
from scipy.optimize import minimize


def objective(theta, x, y, classes, wd):
    d = x.shape[1]
    w = theta[: classes * d].reshape(classes, d)
    b = theta[classes * d:]
    z = x @ w.T + b
    z -= z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -logp[np.arange(n), y].mean() + 0.5 * wd * (theta @ theta)
    p = np.exp(logp)
    p[np.arange(n), y] -= 1
    p /= n
    grad = np.concatenate([(p.T @ x).ravel(), p.sum(axis=0)]) + wd * theta
    return loss, grad


def main():
    run_dir, train_csv, test_csv = sys.argv[1:4]
    summary = json.load(open(f"{run_dir}/summary.json"))
    wd = summary["config"]["algorithm"]["weightDecay"]
    model = np.load(f"{run_dir}/model.npz")
    w = model["weight"].astype(np.float64)
    b = model["bias"].astype(np.float64)
    classes, d = w.shape
    train = np.loadtxt(train_csv, delimiter=",", dtype=np.float32)
    test = np.loadtxt(test_csv, delimiter=",", dtype=np.float32)
    xtr, ytr = train[:, :-1].astype(np.float64), train[:, -1].astype(np.int64)
    xte, yte = test[:, :-1].astype(np.float64), test[:, -1].astype(np.int64)
    accuracy = float(((xte @ w.T + b).argmax(axis=1) == yte).mean())
    theta = np.concatenate([w.ravel(), b])
    value, _ = objective(theta, xtr, ytr, classes, wd)
    res = minimize(objective, np.zeros_like(theta), args=(xtr, ytr, classes, wd), jac=True, method="L-BFGS-B",
                   options={"maxiter": 20000, "maxfun": 40000, "gtol": 1e-9, "ftol": 1e-15})
    _, g = objective(res.x, xtr, ytr, classes, wd)
    final = summary["final"]
    print(json.dumps({
        "numpy": np.__version__,
        "trainSamples": int(xtr.shape[0]), "testSamples": int(xte.shape[0]), "features": int(d), "classes": int(classes),
        "weightDecay": wd,
        "accuracy": accuracy, "reportedAccuracy": final["accuracy"],
        "objective": float(value), "reportedTrainLoss": final["trainLoss"],
        "objectiveMinusTrainLoss": float(value - final["trainLoss"]),
        "optimum": float(res.fun), "optimumGradNorm": float(np.linalg.norm(g)), "lbfgsIterations": int(res.nit),
        "gap": float(value - res.fun),
    }, indent=2))


if __name__ == "__main__":
    main()
