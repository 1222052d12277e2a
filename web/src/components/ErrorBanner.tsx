import type { JSX } from 'preact'

export function ErrorBanner({ error, what }: { error: Error | string; what?: string }): JSX.Element {
  const message = typeof error === 'string' ? error : error.message
  return (
    <p class="error-banner" role="alert">
      {what ? <strong>{what}: </strong> : null}
      {message}
    </p>
  )
}
