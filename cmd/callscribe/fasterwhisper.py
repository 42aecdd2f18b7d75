"""faster-whisper runner for `callscribe bench --compare`.

callscribe embeds this file and runs it with the Python of the venv that
scripts/fasterwhisper.sh makes: python fasterwhisper.py JOB.json

The job (written by benchfw.go) names a CTranslate2 checkpoint folder, the
decoding settings translated from callscribe's engine flags, and the 16 kHz
mono 16-bit WAV copies whisper-cli is given too. The model is loaded once;
each file's text goes to its .txt (for word error rate, read by callscribe).
Stdout's last line is a JSON summary of timings; the transcripts are never
printed, as callscribe never logs transcript text.
"""

import json
import sys
import time
import wave


def read_wav(path):
    """The samples as float32 in [-1, 1). Read with the stdlib rather than
    faster-whisper's PyAV decoder, so that both peers see the very samples
    callscribe decoded, not another decoder's resampling."""
    import numpy as np

    with wave.open(path, "rb") as w:
        if w.getnchannels() != 1 or w.getframerate() != 16000 or w.getsampwidth() != 2:
            raise SystemExit(
                f"{path}: want 16 kHz mono 16-bit PCM, got {w.getframerate()} Hz, "
                f"{w.getnchannels()} channels, {8 * w.getsampwidth()} bits"
            )
        frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    t0 = time.perf_counter()
    import ctranslate2
    import faster_whisper

    t1 = time.perf_counter()
    model = faster_whisper.WhisperModel(
        job["model"],
        device="cpu",
        compute_type=job["compute_type"],
        cpu_threads=job["threads"],
        num_workers=1,
        local_files_only=True,
    )
    t2 = time.perf_counter()
    opts = job["options"]
    files = []
    start = time.time()  # wall clock: callscribe spans several processes
    for item in job["files"]:
        audio = read_wav(item["wav"])
        f0 = time.perf_counter()
        segments, _ = model.transcribe(
            audio,
            language=opts["language"],
            beam_size=opts["beam_size"],
            temperature=opts["temperature"],
            no_speech_threshold=opts["no_speech_threshold"],
            initial_prompt=opts["initial_prompt"],
            condition_on_previous_text=True,
            vad_filter=False,
        )
        # transcribe() is lazy: the decoding happens while segments are read.
        text = "".join(s.text for s in segments).strip()
        files.append({"seconds": time.perf_counter() - f0})
        with open(item["txt"], "w", encoding="utf-8") as out:
            out.write(text + "\n")
    end = time.time()
    summary = {
        "import_seconds": t1 - t0,
        "load_seconds": t2 - t1,
        "start_unix": start,
        "end_unix": end,
        "files": files,
        "faster_whisper": faster_whisper.__version__,
        "ctranslate2": ctranslate2.__version__,
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
