// select kernels (see src/kernels/abi.ts)
