// The inspector page: a hash router between the executions list and one execution.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson } from "./api.js";
import { ComparePage } from "./compare-page.js";
import { ExecutionPage } from "./execution-page.js";
import { ExecutionsList } from "./executions-list.js";
import { html } from "./html.js";

function currentRoute() {
  const compare = /^#\/compare\/([^/]+)\/([^/]+)$/.exec(location.hash);
  if (compare)
    return { page: "compare", left: decodeURIComponent(compare[1]), right: decodeURIComponent(compare[2]) };
  const match = /^#\/executions\/(.+)$/.exec(location.hash);
  return match ? { page: "execution", id: decodeURIComponent(match[1]) } : { page: "list" };
}

function App() {
  const [route, setRoute] = useState(currentRoute());
  const [store, setStore] = useState("");
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    addEventListener("hashchange", onChange);
    getJson("/api/info").then(
      (info) => setStore(info.store),
      () => setStore("store unreachable"),
    );
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return html`
    <header class="top">
      <a class="brand" href="#/">Stepline inspector</a>
      <span class="store" data-testid="store">${store}</span>
    </header>
    <main>
      ${
        route.page === "execution"
          ? html`<${ExecutionPage} id=${route.id} key=${route.id} />`
          : route.page === "compare"
            ? html`<${ComparePage} left=${route.left} right=${route.right} key=${`${route.left}|${route.right}`} />`
            : html`<${ExecutionsList} />`
      }
    </main>
  `;
}

render(html`<${App} />`, document.getElementById("app"));
