// The inspector's JSON API (src/inspector/api-routes.ts) and its live streams.
import { useEffect, useState } from "preact/hooks";

/** Follows a Server-Sent Events stream: { value, error } updated on each `event`. */
export function useLive(url, event) {
  const [state, setState] = useState({ value: undefined, error: undefined });
  useEffect(() => {
    setState({ value: undefined, error: undefined });
    const source = new EventSource(url);
    source.addEventListener(event, (message) =>
      setState({ value: JSON.parse(message.data), error: undefined }),
    );
    source.addEventListener("failure", (message) =>
      setState((previous) => ({ ...previous, error: JSON.parse(message.data).error })),
    );
    return () => source.close();
  }, [url, event]);
  return state;
}

/** GETs a JSON document. */
export async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `${response.status}`);
  return body;
}

/** POSTs a JSON body; rejects with the server's error message. */
export async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error ?? `${response.status}`);
  return answer;
}

export const executionPath = (id) => `/api/executions/${encodeURIComponent(id)}`;
