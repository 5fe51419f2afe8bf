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
}
