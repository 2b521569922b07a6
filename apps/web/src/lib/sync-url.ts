/**
 * Where the rooms are: the page's own origin (ws: or wss: to match http: or https:), so the
 * production build works behind any host name; in development, VITE_SYNC_URL.
 */
export function syncServerUrl(location: Location = window.location): string {
  const configured = import.meta.env.VITE_SYNC_URL as string | undefined
  if (configured) return configured.replace(/\/+$/, '')
  const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${protocol}//${location.host}`
}
