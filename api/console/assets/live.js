// Keeps an open order page current without a reload: the server's event stream says when the order has a
// newer revision; the page is then fetched again and its details swapped in. The actions are swapped only
// when what they offer changed, so nothing being typed into a form is lost.
const live = document.getElementById('order-live');
if (live && 'EventSource' in window) {
  const events = new EventSource(`${live.dataset.events}?revision=${live.dataset.revision}`);
  let refreshing = Promise.resolve();
  events.addEventListener('changed', () => {
    refreshing = refreshing.then(refresh).catch(() => {});
  });

  async function refresh() {
    const response = await fetch(location.pathname, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (!response.ok) return;
    const next = new DOMParser().parseFromString(await response.text(), 'text/html');
    const details = next.getElementById('order-live');
    if (details) {
      live.innerHTML = details.innerHTML;
      live.dataset.revision = details.dataset.revision;
    }
    const actions = document.getElementById('order-actions');
    const nextActions = next.getElementById('order-actions');
    if (actions && nextActions && actions.dataset.offered !== nextActions.dataset.offered) actions.replaceWith(nextActions);
  }
}
