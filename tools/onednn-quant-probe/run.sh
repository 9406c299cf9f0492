#!/usr/bin/env bash
# Builds probe.c against the oneDNN library the onednn module ships (from the Maven repository, so build the project
# first), times oneDNN's matmul at the decoder's MLP shapes for each weight format at 1 and 8 rows, then our own
# matrix-vector kernels on the same shapes (`quant-bench`), one after the other on the same machine.
# Usage: tools/onednn-quant-probe/run.sh   (all cores, as quant-bench; linux-x86_64 only)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar=$(find "${HOME}/.m2/repository/org/bytedeco/dnnl" -name 'dnnl-*-linux-x86_64.jar' 2>/dev/null | sort | tail -1)
if [ -z "$jar" ]; then
  echo "run.sh: no org.bytedeco:dnnl linux-x86_64 jar under ~/.m2: build the project first (bin/test)" >&2
  exit 1
fi
work=${TMPDIR:-/tmp}/onednn-quant-probe
mkdir -p "$work"
unzip -o -q "$jar" -d "$work"
lib=$work/org/bytedeco/dnnl/linux-x86_64
gcc -O2 -Wall -o "$work/probe" "$here/probe.c" -L "$lib" -l:libdnnl.so.3 -lm -Wl,-rpath,"$lib"
threads=$(nproc)
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $threads threads; oneDNN from $(basename "$jar")"
for shape in "1536 8960" "8960 1536"; do # K N: gate/up, down
  for mode in bf16 s8 u4 u8s8; do
    for rows in 1 8; do OMP_NUM_THREADS=$threads "$work/probe" $mode $rows $shape 12 10; done
  done
done
"$here/../../bin/qwen2vl4j" quant-bench --shapes 8960x1536,1536x8960
