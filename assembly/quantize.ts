// quantize kernels (see src/kernels/abi.ts)
