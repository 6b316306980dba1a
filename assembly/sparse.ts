// sparse kernels (see src/kernels/abi.ts)
