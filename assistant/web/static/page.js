() => {
  // Hovering or clicking a [n] marker shows its source in the panel beside the chat.
  const show = (marker, scroll) => {
    const target = document.getElementById((marker.getAttribute("href") || "").slice(1));
    if (!target) return;
    document.querySelectorAll(".source.active").forEach((el) => el.classList.remove("active"));
    target.classList.add("active");
    if (scroll) target.scrollIntoView({ behavior: "smooth", block: "nearest" });
  };
  document.addEventListener("mouseover", (event) => {
    const marker = event.target.closest && event.target.closest("a.cite");
    if (marker) show(marker, true);
  });
  document.addEventListener("click", (event) => {
    const marker = event.target.closest && event.target.closest("a.cite");
    if (!marker) return;
    event.preventDefault();
    show(marker, true);
  });
  // A full queue turns a question away (HTTP 503 from queue/join) before the page's code runs:
  // say so under the question box, which keeps the question, until a question is taken again.
  const send = window.fetch.bind(window);
  window.fetch = async (resource, options) => {
    const response = await send(resource, options);
    const url = resource instanceof Request ? resource.url : String(resource);
    if (url.includes("/queue/join")) {
      document.body.classList.toggle("page-busy", response.status === 503);
    }
    return response;
  };
}
