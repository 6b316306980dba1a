// logistic (softmax regression) forward/backward kernels working in place on the arena (engine issue).
