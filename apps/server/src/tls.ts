import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { ConfigError } from './config.js'

export interface TlsFiles {
  readonly cert: string
  readonly key: string
}

export interface TlsMaterial {
  readonly cert: Buffer
  readonly key: Buffer
}

/**
 * Reads and checks a certificate and its key (PEM). Throws ConfigError naming the file and
 * what is wrong, so a bad pair stops a start (or is refused on reload) with a clear message.
 */
export function readTls(files: TlsFiles): TlsMaterial {
  const cert = readPem(files.cert, '--tls-cert / COEDIT_TLS_CERT')
  const key = readPem(files.key, '--tls-key / COEDIT_TLS_KEY')
  try {
    // Builds the context Node would use: catches bad PEM and a key that is not the certificate's.
    createSecureContext({ cert, key })
  } catch (error) {
    throw new ConfigError(`TLS certificate ${files.cert} and key ${files.key} cannot be used together: ${(error as Error).message}`)
  }
  return { cert, key }
}

function readPem(file: string, setting: string): Buffer {
  let content: Buffer
  try {
    content = readFileSync(file)
  } catch (error) {
    throw new ConfigError(`${setting}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  if (!content.includes('-----BEGIN')) throw new ConfigError(`${setting}: ${file} is not a PEM file (no -----BEGIN line)`)
  return content
}
