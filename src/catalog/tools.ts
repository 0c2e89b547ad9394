/** Where each tool is downloaded from and where its published sha256 lives. */
export type ToolName = 'kind' | 'kubectl' | 'istioctl';
export type Arch = 'amd64' | 'arm64';

export interface ToolSource {
  readonly url: string;
  readonly checksumUrl: string;
  /** The checksum file is `hex` alone or `hex  name`: its first field is the digest. */
  /** The binary is inside a .tar.gz at this path, or is the download itself. */
  readonly archivePath?: string;
}

export function toolSource(tool: ToolName, version: string, arch: Arch): ToolSource {
  switch (tool) {
    case 'kind': {
      const url = `https://kind.sigs.k8s.io/dl/${version}/kind-linux-${arch}`;
      return { url, checksumUrl: `${url}.sha256sum` };
    }
    case 'kubectl': {
      const url = `https://dl.k8s.io/release/${version}/bin/linux/${arch}/kubectl`;
      return { url, checksumUrl: `${url}.sha256` };
    }
    case 'istioctl': {
      const url = `https://github.com/istio/istio/releases/download/${version}/istioctl-${version}-linux-${arch}.tar.gz`;
      return { url, checksumUrl: `${url}.sha256`, archivePath: 'istioctl' };
    }
  }
}
