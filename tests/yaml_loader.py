"""YAML as the tests read it: the stack files, cloud-init documents, workflows and component documents.

libyaml's parser (`CSafeLoader`, in PyYAML's wheels) reads the same documents into the same values as the
pure-Python `safe_load`, about ten times faster; the tests parse stack files and boot documents hundreds of times a
run. Where PyYAML was built without libyaml, the pure-Python loader is used.
"""

from typing import Any

import yaml

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str | bytes) -> Any:
    """`yaml.safe_load(text)`, with libyaml where it is available."""
    return yaml.load(text, Loader=_SafeLoader)
