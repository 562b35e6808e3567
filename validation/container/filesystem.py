"""The image's merged file tree, built layer by layer, to see what later layers hide (dive-style waste).

Only metadata is kept — a tuple per file, a dict per directory — so memory grows with the number of paths
(tens of MB for a 100k-file CUDA image), never with the bytes in them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator

# A file record: (layer, size, mode, kind, link) with kind "f" regular, "l" symlink, "h" hard link, "o" other.
FileRec = tuple[int, int, int, str, str]
Hidden = Callable[[str, FileRec, int, str], None]  # path, record, hiding layer, "overwritten" | "deleted"


class Dir(dict):
    """A directory: child name → ``Dir`` or ``FileRec``; ``layer`` is the newest layer that declared it."""

    __slots__ = ("layer",)

    def __init__(self, layer: int) -> None:
        super().__init__()
        self.layer = layer


class ThroughSymlink(Exception):
    """A member's path passes through a symbolic link: the classic way to write outside an extraction root."""


class LayeredTree:
    def __init__(self, on_hidden: Hidden) -> None:
        self.root = Dir(-1)
        self._on_hidden = on_hidden

    # -- changes -------------------------------------------------------------------------------------------
    def _hide(self, path: str, node: Dir | FileRec, layer: int, how: str) -> None:
        if isinstance(node, Dir):
            for name, child in node.items():
                self._hide(f"{path}/{name}", child, layer, how)
        else:
            self._on_hidden(path, node, layer, how)

    def _parent(self, parts: list[str], layer: int, create: bool) -> Dir | None:
        node = self.root
        for i, name in enumerate(parts):
            child = node.get(name)
            if isinstance(child, Dir):
                node = child
                continue
            if child is not None and child[3] == "l":
                raise ThroughSymlink("/".join(parts[: i + 1]))
            if not create:
                return None
            if child is not None:  # a file where a directory now goes: the file is hidden
                self._hide("/".join(parts[: i + 1]), child, layer, "overwritten")
            node[name] = node = Dir(layer)
        return node

    def add(self, path: str, layer: int, kind: str, size: int = 0, mode: int = 0, link: str = "") -> None:
        """Record a member (``kind`` "d" for a directory). Raises ``ThroughSymlink``."""
        parts = path.split("/")
        parent = self._parent(parts[:-1], layer, create=True)
        assert parent is not None
        name = parts[-1]
        old = parent.get(name)
        if kind == "d":
            if isinstance(old, Dir):
                old.layer = max(old.layer, layer)
                return
            if old is not None:
                self._hide(path, old, layer, "overwritten")
            parent[name] = Dir(layer)
            return
        if old is not None:
            self._hide(path, old, layer, "overwritten")
        parent[name] = (layer, size, mode, kind, link)

    def whiteout(self, path: str, layer: int) -> None:
        """``.wh.<name>``: delete what lower layers put at ``path``."""
        parts = path.split("/")
        parent = self._parent(parts[:-1], layer, create=False)
        if parent is None:
            return
        old = parent.get(parts[-1])
        if old is not None:
            self._hide(path, old, layer, "deleted")
            del parent[parts[-1]]

    def opaque(self, path: str, layer: int) -> None:
        """``.wh..wh..opq``: the directory shows only this layer's entries."""
        node = self._parent(path.split("/"), layer, create=True) if path else self.root
        if node is not None:
            self._prune(path, node, layer)

    def _prune(self, path: str, node: Dir, layer: int) -> None:
        for name in list(node):
            child = node[name]
            sub = f"{path}/{name}" if path else name
            if isinstance(child, Dir):
                self._prune(sub, child, layer)
                if not child and child.layer < layer:
                    del node[name]
            elif child[0] < layer:
                self._on_hidden(sub, child, layer, "deleted")
                del node[name]

    # -- queries -------------------------------------------------------------------------------------------
    def get(self, path: str) -> Dir | FileRec | None:
        node: Dir | FileRec | None = self.root
        for name in filter(None, path.split("/")):
            if not isinstance(node, Dir):
                return None
            node = node.get(name)
        return node

    def resolve(self, path: str, hops: int = 16) -> tuple[str, Dir | FileRec | None]:
        """Follow symbolic links the way the container will: absolute targets start at the image root."""
        parts = [p for p in path.split("/") if p]
        done: list[str] = []
        while parts:
            name = parts.pop(0)
            node = self.get("/".join(done + [name]))
            if isinstance(node, tuple) and node[3] == "l":
                hops -= 1
                if hops < 0:
                    return "/" + "/".join(done + [name]), None
                base = "/" if node[4].startswith("/") else "/" + "/".join(done)
                target = posixpath.normpath(posixpath.join(base, node[4]))
                parts = [p for p in target.split("/") if p] + parts
                done = []
                continue
            if node is None:
                return "/" + "/".join(done + [name] + parts), None
            done.append(name)
        final = "/" + "/".join(done)
        return final, self.get(final)

    def files(self) -> Iterator[tuple[str, FileRec]]:
        """Every non-directory in the final tree, as (path without a leading slash, record)."""
        stack: list[tuple[str, Dir]] = [("", self.root)]
        while stack:
            prefix, node = stack.pop()
            for name, child in node.items():
                path = f"{prefix}/{name}" if prefix else name
                if isinstance(child, Dir):
                    stack.append((path, child))
                else:
                    yield path, child
