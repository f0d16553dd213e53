"""Operators manage the knowledge base; answers follow without a restart."""

from __future__ import annotations

import httpx

from tests.conftest import Chat
from tests.test_turn_checks import operator


async def test_added_document_is_answered_and_deleted_one_is_not(
    quote_client: httpx.AsyncClient,
) -> None:
    ops = await operator(quote_client)
    body = {
        "title": "Bike fitting studio",
        "text": "# Bike fitting studio\n\nOur bike fitting studio in Utrecht measures your "
        "saddle height and reach. A bike fitting session costs €89 and takes 90 minutes.",
    }
    r = await quote_client.post("/api/v1/admin/kb/documents", json=body, headers=ops)
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    listed = await quote_client.get("/api/v1/admin/kb/documents", headers=ops)
    assert any(d["id"] == doc_id and d["chunks"] >= 1 for d in listed.json())

    chat = Chat(quote_client)
    await chat.start()
    answer = (await chat.say("How much does a bike fitting session cost?"))["messages"][-1]
    assert "€89" in answer["text"]
    assert answer["sources"][0]["document_id"] == doc_id

    assert (
        await quote_client.delete(f"/api/v1/admin/kb/documents/{doc_id}", headers=ops)
    ).status_code == 204
    chat = Chat(quote_client)
    await chat.start()
    data = await chat.say("How much does a bike fitting session cost?")
    assert all("€89" not in m["text"] for m in data["messages"])
    missing = await quote_client.delete(f"/api/v1/admin/kb/documents/{doc_id}", headers=ops)
    assert missing.status_code == 404


async def test_bad_documents_get_a_clear_4xx(quote_client: httpx.AsyncClient) -> None:
    ops = await operator(quote_client)
    r = await quote_client.post("/api/v1/admin/kb/documents", json={"title": ""}, headers=ops)
    assert r.status_code == 422 and r.json()["error"] == "invalid"
    anonymous = await quote_client.post(
        "/api/v1/admin/kb/documents", json={"title": "x", "text": "y"}
    )
    assert anonymous.status_code == 401
