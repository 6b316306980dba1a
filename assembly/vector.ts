// vector kernels (see src/kernels/abi.ts)
