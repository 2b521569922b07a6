import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/**
 * Loads a database driver the embedder chose to install. The drivers are optional peer
 * dependencies, so importing the library loads none of them; an entry point that needs one
 * says which package to install instead of failing with a bare "module not found".
 */
export function loadDriver<T>(pkg: string, entryPoint: string): T {
  try {
    return require(pkg) as T
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${pkg}'`)) {
      throw new Error(`${entryPoint} needs the package '${pkg}', which is not installed: run npm install ${pkg}`)
    }
    throw error
  }
}
