import { queryOptions, useQuery } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const getLibraries = async () => unwrap(await client.GET('/libraries')).libraries;

export const librariesQuery = () => queryOptions({ queryKey: ['libraries'], queryFn: getLibraries });

export const useLibraries = () => useQuery(librariesQuery());
