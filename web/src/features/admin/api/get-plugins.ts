import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';

/** GET /plugins (the document leaves its rows untyped: a plugin's status). */
export type PluginStatus = {
  name: string;
  state: string;
  enabled?: boolean;
  priority?: number;
  source?: string | null;
  config_file?: string | null;
  out_of_process?: boolean;
  type?: string | null;
  version?: string | null;
  errors?: string[];
};

export const getPlugins = async () => (await apiJson<{ plugins: PluginStatus[] }>('/plugins')).plugins;

export const usePlugins = () => useQuery({ queryKey: ['plugins'], queryFn: getPlugins });
