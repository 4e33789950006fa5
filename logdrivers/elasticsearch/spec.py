"""elasticsearch's entry in the registry; the client (and its imports) load only where a driver is made: the
daemon."""

from logdrivers.elasticsearch.options import ElasticsearchOptions, parse_options
from logdrivers.info import ContainerInfo
from logdrivers.spec import DriverSpec


def create(info: ContainerInfo, options: ElasticsearchOptions):
    from logdrivers.elasticsearch.driver import ElasticsearchDriver

    return ElasticsearchDriver(info, options)


ELASTICSEARCH = DriverSpec("elasticsearch", parse_options, create)
