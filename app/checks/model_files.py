"""Transformers models on disk for the checks: the one download, and where it lands.

`tandem models fetch NAME` is the only code that may use the network; every loader reads with
`local_files_only=True` under HF_HUB_OFFLINE. A fetched name lives in FETCHED/<org--name>.
"""

from __future__ import annotations

from pathlib import Path

# Relative, like `tandem models fetch --dest`'s default: both resolve from the working folder.
FETCHED = Path("var/models")
# Configs, safetensors weights and tokenizer files only: never pickled weights (code on load).
PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model"]


class FetchRefused(ValueError):
    """The download cannot run here (offline mode); a ValueError so the CLI prints it plainly."""


def folder_for(name: str, dest: Path = FETCHED) -> Path:
    """Where `tandem models fetch NAME --dest DEST` puts hub model `name`."""
    return dest / name.replace("/", "--")


def fetch_model(name: str, dest: Path = FETCHED) -> Path:
    """Download hub model `name` once into `dest`/<org--name>; returns that folder.

    Run it with HF_HUB_OFFLINE unset. Says nothing about what the model is good for:
    the CLI asks each check whether it can use it.
    """
    from huggingface_hub import is_offline_mode, snapshot_download

    if is_offline_mode():
        raise FetchRefused("HF_HUB_OFFLINE is set; unset it to fetch a model")
    folder = folder_for(name, dest)
    snapshot_download(repo_id=name, local_dir=folder, allow_patterns=PATTERNS)
    return folder


def local_folder(name: str, dest: Path = FETCHED) -> str:
    """`name` as given when it is a folder or was never fetched, else the fetched folder."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    fetched = folder_for(name, dest)
    return str(fetched) if fetched.is_dir() else name
