#!/usr/bin/env python3
"""Re-quantize every Q4_0/Q4_1 tensor of a GGUF file to Q8_0, keeping all metadata and other tensors.

Why: candle has AVX2 dot-product kernels for Q8_0 but not for Q4_1, so the same SmolLM2 decodes ~40% faster from a
Q8_0 file. Q4_1 -> f32 is exact; f32 -> Q8_0 rounds each block of 32 to 8 bits, finer than the 4-bit source, so the
model's behaviour is essentially unchanged. Deterministic: the same input gives the same bytes (checked by
weights/MANIFEST). Needs the `gguf` and `numpy` packages (scripts/fetch-weights.sh installs them in a venv).
"""
import sys

import gguf
import numpy as np


def main(src: str, dst: str) -> None:
    reader = gguf.GGUFReader(src, "r")
    arch = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
    writer = gguf.GGUFWriter(dst, arch=arch, endianess=reader.endianess)
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        if field.name == gguf.Keys.General.FILE_TYPE:
            writer.add_key_value(field.name, int(gguf.LlamaFileType.MOSTLY_Q8_0), gguf.GGUFValueType.UINT32)
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), vtype, sub_type=sub)

    converted = 0
    for t in reader.tensors:
        if t.tensor_type in (gguf.GGMLQuantizationType.Q4_0, gguf.GGMLQuantizationType.Q4_1):
            f32 = gguf.quants.dequantize(t.data, t.tensor_type)
            data = gguf.quants.quantize(f32.astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
            qtype = gguf.GGMLQuantizationType.Q8_0
            converted += 1
        else:
            data, qtype = t.data, t.tensor_type
        writer.add_tensor(t.name, data, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"requantized {converted} tensors to Q8_0: {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: requantize_q8_0.py IN.gguf OUT.gguf")
    main(sys.argv[1], sys.argv[2])
