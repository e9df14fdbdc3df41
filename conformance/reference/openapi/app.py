"""The `openapi` scenario of SCENARIOS.md written in FastAPI 0.165.0.

`python app.py > fastapi-0.165.0.json` writes FastAPI's document for it, the
reference that `conformance/tests/openapi.rs` compares sluice's with (see
README.md here).
"""

import json
import sys

from fastapi import APIRouter, FastAPI, Header, status
from pydantic import BaseModel

app = FastAPI(title="sluice conformance: openapi", version="0.1.0")
items = APIRouter(prefix="/items", tags=["items"])


class Dimensions(BaseModel):
    width: float
    height: float


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []
    dimensions: Dimensions | None = None


@items.get("/{item_id}", summary="Read an item")
def read_item(item_id: int, q: str | None = None, limit: int = 10) -> Item:
    return Item(name=f"item {item_id}", price=1.0)


@items.post("", status_code=status.HTTP_201_CREATED, summary="Create an item")
def create_item(item: Item) -> Item:
    return item


@items.put("/{item_id}", summary="Replace an item")
def update_item(item_id: int, item: Item) -> Item:
    return item


@items.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an item")
def delete_item(item_id: int) -> None:
    return None


@app.get("/users/me", summary="Read the current user")
def read_me(x_token: str = Header()):
    return {"user": "me"}


app.include_router(items)

if __name__ == "__main__":
    json.dump(app.openapi(), sys.stdout, indent=2)
    sys.stdout.write("\n")
