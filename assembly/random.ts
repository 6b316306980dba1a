// random kernels (see src/kernels/abi.ts)
